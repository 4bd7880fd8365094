import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.exceptions.DriverTimeoutException;

/**
 * Holds a publication and a subscription until killed or until the driver
 * goes away, reporting a driver timeout as Aeron's client sees it.
 *
 * Usage: HoldStream CHANNEL STREAM SECONDS
 */
public final class HoldStream
{
    public static void main(final String[] args) throws Exception
    {
        final long end = System.currentTimeMillis() + Long.parseLong(args[2]) * 1000;
        final Aeron.Context ctx = new Aeron.Context().errorHandler(error ->
        {
            if (error instanceof DriverTimeoutException)
            {
                System.out.println("DRIVER_TIMEOUT " + error.getMessage());
                System.out.flush();
                Runtime.getRuntime().halt(4);
            }
            System.out.println("ERROR " + error);
        });
        try (Aeron aeron = Aeron.connect(ctx);
            Publication pub = aeron.addPublication(args[0], Integer.parseInt(args[1]));
            Subscription sub = aeron.addSubscription(args[0], Integer.parseInt(args[1])))
        {
            System.out.println("HOLDING pub=" + pub.registrationId() + " sub=" + sub.registrationId());
            System.out.flush();
            while (System.currentTimeMillis() < end)
            {
                Thread.sleep(20);
            }
        }
        System.out.println("DONE");
    }
}
