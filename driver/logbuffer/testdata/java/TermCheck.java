import io.aeron.logbuffer.TermGapFiller;
import io.aeron.logbuffer.TermGapScanner;
import io.aeron.logbuffer.TermScanner;
import io.aeron.logbuffer.TermUnblocker;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * Runs Aeron's term scanner, gap scanner and unblocker over a term and
 * metadata written by the Go test, printing one result per line.
 */
public class TermCheck
{
    public static void main(final String[] args) throws Exception
    {
        final byte[] termBytes = Files.readAllBytes(Paths.get(args[0]));
        final UnsafeBuffer meta = new UnsafeBuffer(Files.readAllBytes(Paths.get(args[1])));
        final UnsafeBuffer term = new UnsafeBuffer(termBytes.clone());

        final int[][] scans = { { 0, 4096 }, { 0, 100 }, { 0, 64 }, { 0, 192 }, { 320, 4096 }, { 192, 4096 }, { 352, 64 }, { 64, 100 } };
        for (final int[] s : scans)
        {
            final long r = TermScanner.scanForAvailability(term, s[0], s[1]);
            System.out.println("scan " + s[0] + " " + s[1] + " " + TermScanner.available(r) + " " + TermScanner.padding(r));
        }

        final int[][] gaps = { { 0, 4096 }, { 0, 192 }, { 1376, 4096 }, { 4096, 8192 } };
        for (final int[] g : gaps)
        {
            final StringBuilder found = new StringBuilder("none");
            final int end = TermGapScanner.scanForGap(term, 7, g[0], g[1],
                (termId, offset, length) -> found.setLength(0));
            final int[] gap = { -1, -1 };
            TermGapScanner.scanForGap(term, 7, g[0], g[1], (termId, offset, length) ->
            {
                gap[0] = offset;
                gap[1] = length;
            });
            System.out.println("gap " + g[0] + " " + g[1] + " " + end + " " + gap[0] + " " + gap[1]);
        }

        final int[][] unblocks = { { 2048, 4096 }, { 4096, 8192 }, { 8192, 12288 }, { 61440, 65536 } };
        for (final int[] u : unblocks)
        {
            final UnsafeBuffer copy = new UnsafeBuffer(termBytes.clone());
            final TermUnblocker.Status status = TermUnblocker.unblock(meta, copy, u[0], u[1], 9);
            final StringBuilder hdr = new StringBuilder();
            for (int i = 0; i < 32; i++)
            {
                hdr.append(String.format("%02x", copy.getByte(u[0] + i) & 0xFF));
            }
            System.out.println("unblock " + u[0] + " " + u[1] + " " + status + " " + hdr);
        }

        final int[][] fills = { { 192, 128 }, { 192, 192 }, { 4096, 512 }, { 8192, 1024 } };
        for (final int[] f : fills)
        {
            final UnsafeBuffer copy = new UnsafeBuffer(termBytes.clone());
            final boolean filled = TermGapFiller.tryFillGap(meta, copy, 9, f[0], f[1]);
            final StringBuilder hdr = new StringBuilder();
            for (int i = 0; i < 32; i++)
            {
                hdr.append(String.format("%02x", copy.getByte(f[0] + i) & 0xFF));
            }
            System.out.println("fill " + f[0] + " " + f[1] + " " + filled + " " + hdr);
        }
    }
}
