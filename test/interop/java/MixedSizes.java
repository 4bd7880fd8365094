import io.aeron.Aeron;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Sends or checks a seeded sequence of messages of mixed sizes, from empty to
 * several MTUs, so every one can be verified on arrival: once, in order, intact.
 * The lengths come from the seed, each byte is a function of the sequence
 * number and its index, and messages of 8 bytes or more start with the
 * sequence number.
 *
 * Usage: MixedSizes pub|sub CHANNEL STREAM COUNT SEED MAX_LENGTH TIMEOUT_SECONDS
 * (-Dmixed.destinations=URI,URI adds manual multi-destination-cast destinations to the publication)
 */
public final class MixedSizes
{
    /** Messages this long or longer start with their sequence number, so a duplicate or a gap names itself. */
    static final int SEQ_LENGTH = 8;

    static int length(final SplittableRandom random, final int max)
    {
        final int kind = random.nextInt(10);
        if (kind == 0)
        {
            return 0;
        }
        if (kind < 7)
        {
            return random.nextInt(1, 200);
        }
        return random.nextInt(1, max + 1);
    }

    static byte expected(final long seq, final int i)
    {
        return (byte)(seq * 31 + i * 7);
    }

    public static void main(final String[] args) throws Exception
    {
        final boolean publish = "pub".equals(args[0]);
        final String channel = args[1];
        final int streamId = Integer.parseInt(args[2]);
        final int count = Integer.parseInt(args[3]);
        final long seed = Long.parseLong(args[4]);
        final int max = Integer.parseInt(args[5]);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[6]));
        final SplittableRandom random = new SplittableRandom(seed);

        try (Aeron aeron = Aeron.connect(new Aeron.Context()))
        {
            if (publish)
            {
                try (Publication pub = aeron.addPublication(channel, streamId))
                {
                    // Manual multi-destination-cast: destinations come from a property.
                    final String destinations = System.getProperty("mixed.destinations", "");
                    for (final String destination : destinations.split(","))
                    {
                        if (!destination.isEmpty())
                        {
                            pub.addDestination(destination);
                        }
                    }
                    final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(max));
                    while (!pub.isConnected())
                    {
                        Exit.check(deadline, "no subscriber connected");
                        Thread.sleep(1);
                    }
                    for (int seq = 0; seq < count; seq++)
                    {
                        final int len = length(random, max);
                        for (int i = 0; i < len; i++)
                        {
                            buffer.putByte(i, expected(seq, i));
                        }
                        if (len >= SEQ_LENGTH)
                        {
                            buffer.putLong(0, seq);
                        }
                        long result;
                        while ((result = pub.offer(buffer, 0, len)) < 0)
                        {
                            if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED)
                            {
                                throw new IllegalStateException("offer failed: " + result);
                            }
                            Exit.check(deadline, "publisher stuck at message " + seq + " result " + result);
                            Thread.yield();
                        }
                    }
                    System.out.println("SENT " + count + " position=" + pub.position());
                }
            }
            else
            {
                final long[] next = { 0 };
                final String[] failure = { null };
                final FragmentHandler handler = new FragmentAssembler((buffer, offset, len, header) ->
                {
                    final long seq = next[0];
                    final int want = length(random, max);
                    if (len != want && failure[0] == null)
                    {
                        failure[0] = "message " + seq + " has " + len + " bytes, want " + want +
                            (len >= SEQ_LENGTH ? ", and carries sequence number " + buffer.getLong(offset) : "");
                    }
                    if (len >= SEQ_LENGTH && buffer.getLong(offset) != seq && failure[0] == null)
                    {
                        failure[0] = "message " + seq + " carries sequence number " + buffer.getLong(offset);
                    }
                    for (int i = len >= SEQ_LENGTH ? SEQ_LENGTH : 0; i < len && failure[0] == null; i++)
                    {
                        if (buffer.getByte(offset + i) != expected(seq, i))
                        {
                            failure[0] = "message " + seq + " byte " + i + " differs";
                        }
                    }
                    next[0]++;
                });
                try (Subscription sub = aeron.addSubscription(channel, streamId))
                {
                    System.out.println("READY");
                    while (next[0] < count && failure[0] == null)
                    {
                        if (sub.poll(handler, 100) == 0)
                        {
                            Exit.check(deadline, "received " + next[0] + " of " + count);
                            Thread.yield();
                        }
                    }
                }
                if (failure[0] != null)
                {
                    System.out.println("FAIL " + failure[0]);
                    System.exit(2);
                }
                System.out.println("RECEIVED " + next[0]);
            }
        }
    }
}
