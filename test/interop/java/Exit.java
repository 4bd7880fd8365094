import java.util.concurrent.TimeUnit;

/**
 * How the interop programs end: a FAIL line and exit code 2 when a check fails (or a driver
 * refuses), a TIMEOUT line and exit code 3 when a bound runs out. The Go tests read both.
 */
final class Exit
{
    private Exit()
    {
    }

    static long deadline(final String seconds)
    {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(seconds));
    }

    static void fail(final String what)
    {
        System.out.println("FAIL " + what);
        System.exit(2);
    }

    static void check(final long deadline, final String what)
    {
        if (System.nanoTime() > deadline)
        {
            timeout(what);
        }
    }

    static void timeout(final String what)
    {
        System.out.println("TIMEOUT " + what);
        System.exit(3);
    }
}
