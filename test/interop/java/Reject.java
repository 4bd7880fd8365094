import io.aeron.Aeron;
import io.aeron.Image;
import io.aeron.Publication;
import io.aeron.Subscription;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Image rejection, from both ends. "sub" rejects the first image it gets
 * and keeps its subscription open; "pub" offers until a receiver's error
 * frame reaches it through the driver, and prints it.
 *
 * Usage: Reject pub|sub CHANNEL STREAM TIMEOUT_SECONDS
 */
public final class Reject
{
    public static void main(final String[] args) throws Exception
    {
        final String channel = args[1];
        final int streamId = Integer.parseInt(args[2]);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[3]));
        final AtomicReference<String> error = new AtomicReference<>();
        final Aeron.Context ctx = new Aeron.Context().publicationErrorFrameHandler(
            (frame) -> error.compareAndSet(null, "ERROR FRAME code=" + frame.errorCode() + " message=" + frame.errorMessage()));
        try (Aeron aeron = Aeron.connect(ctx))
        {
            if ("pub".equals(args[0]))
            {
                try (Publication pub = aeron.addPublication(channel, streamId))
                {
                    final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
                    while (error.get() == null)
                    {
                        Exit.check(deadline, "no error frame");
                        pub.offer(buffer, 0, 64);
                        Thread.sleep(1);
                    }
                    System.out.println(error.get());
                }
            }
            else
            {
                try (Subscription sub = aeron.addSubscription(channel, streamId))
                {
                    System.out.println("READY");
                    while (sub.imageCount() == 0)
                    {
                        Exit.check(deadline, "no image");
                        Thread.sleep(1);
                    }
                    final Image image = sub.imageAtIndex(0);
                    image.reject("not wanted here");
                    System.out.println("REJECTED " + image.sessionId());
                    while (System.nanoTime() < deadline)
                    {
                        sub.poll((buffer, offset, length, header) -> {}, 10);
                        Thread.sleep(1);
                    }
                }
            }
        }
    }
}
