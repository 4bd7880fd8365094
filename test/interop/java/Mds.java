import io.aeron.Aeron;
import io.aeron.FragmentAssembler;
import io.aeron.Image;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.exceptions.AeronException;
import io.aeron.logbuffer.FragmentHandler;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * A multi-destination subscription (MDS) and the publishers that feed it.
 *
 * "sub" adds the subscription {@code aeron:udp?control-mode=manual} and then
 * each DESTINATION (a receive channel such as {@code aeron:udp?endpoint=ADDR:PORT})
 * with {@code Subscription.addDestination}. It expects IMAGES images, each
 * carrying COUNT numbered messages of one publisher, and checks every message
 * arrives exactly once, in order, intact, even when the same stream reaches it
 * through several destinations. Each image must report, through
 * {@code Image.activeTransportCount()}, that data came through TRANSPORTS
 * destinations. With REMOVE_AT above 0 it removes the last destination once
 * REMOVE_AT messages have arrived (and the image has seen every destination),
 * then checks the image stays, loses nothing and drops to one transport fewer.
 *
 * "pub" sends COUNT numbered messages on CHANNEL, spread evenly over about
 * SPREAD_MS so a removal on the subscriber lands mid-stream; with
 * DESTINATIONS given, CHANNEL is a manual multi-destination-cast
 * publication and each is added with {@code Publication.addDestination}.
 * Every 50th message is longer than an MTU, so fragments too arrive once per
 * destination.
 *
 * Exit codes: 2 a check failed or a driver refused a channel or destination
 * (its error quoted, the side named), 3 timeout.
 *
 * Usage: Mds sub STREAM COUNT IMAGES TRANSPORTS REMOVE_AT TIMEOUT_SECONDS DESTINATION...
 *        Mds pub NAME CHANNEL STREAM COUNT SPREAD_MS TIMEOUT_SECONDS [DESTINATION...]
 */
public final class Mds
{
    static final String MDS_CHANNEL = "aeron:udp?control-mode=manual";
    static final int SHORT_LENGTH = 200;
    static final int LONG_LENGTH = 4000;

    public static void main(final String[] args) throws Exception
    {
        final Aeron.Context ctx = new Aeron.Context().errorHandler(
            (error) -> System.out.println("ERROR " + error));
        try (Aeron aeron = Aeron.connect(ctx))
        {
            if ("sub".equals(args[0]))
            {
                final String[] destinations = new String[args.length - 7];
                System.arraycopy(args, 7, destinations, 0, destinations.length);
                sub(aeron, Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                    Integer.parseInt(args[4]), Integer.parseInt(args[5]), Exit.deadline(args[6]), destinations);
            }
            else
            {
                final String[] destinations = new String[args.length - 7];
                System.arraycopy(args, 7, destinations, 0, destinations.length);
                pub(aeron, args[1], args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                    Integer.parseInt(args[5]), Exit.deadline(args[6]), destinations);
            }
        }
    }

    static int length(final long seq)
    {
        return seq % 50 == 49 ? LONG_LENGTH : SHORT_LENGTH;
    }

    static String header(final String name, final long seq)
    {
        return name + " " + seq + " ";
    }

    static byte fill(final long seq, final int i)
    {
        return (byte)(seq * 31 + i * 7);
    }

    static void pub(
        final Aeron aeron,
        final String name,
        final String channel,
        final int stream,
        final int count,
        final int spreadMs,
        final long deadline,
        final String[] destinations) throws Exception
    {
        final Publication pub;
        try
        {
            pub = aeron.addExclusivePublication(channel, stream);
        }
        catch (final AeronException ex)
        {
            Exit.fail("publisher-side driver refused the publication " + channel + ": " + ex.getMessage());
            return;
        }
        for (final String destination : destinations)
        {
            try
            {
                pub.addDestination(destination);
            }
            catch (final AeronException ex)
            {
                Exit.fail("publisher-side driver refused destination " + destination + " on " + channel + ": " +
                    ex.getMessage());
            }
        }
        System.out.println("STARTED publisher=" + name + " channel=" + channel + " session=" + pub.sessionId() +
            " destinations=" + String.join(",", destinations));

        final IdleStrategy idle = new BackoffIdleStrategy(10, 10, 1_000, 1_000_000);
        while (!pub.isConnected())
        {
            Exit.check(deadline, "publisher " + name + " not connected: no status message from the subscriber");
            idle.idle();
        }

        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(LONG_LENGTH));
        final long start = System.nanoTime();
        final long spreadNs = TimeUnit.MILLISECONDS.toNanos(spreadMs);
        for (long seq = 0; seq < count; seq++)
        {
            // Message seq is due seq/count of the way through the spread.
            final long due = start + spreadNs * seq / count;
            while (System.nanoTime() < due)
            {
                Exit.check(deadline, "publisher " + name + " pacing at message " + seq);
                idle.idle();
            }
            idle.reset();
            final int len = length(seq);
            final int head = buffer.putStringWithoutLengthAscii(0, header(name, seq));
            for (int i = head; i < len; i++)
            {
                buffer.putByte(i, fill(seq, i));
            }
            long result;
            while ((result = pub.offer(buffer, 0, len)) < 0)
            {
                if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED)
                {
                    Exit.fail("publisher " + name + " offer failed at message " + seq + ": " + result);
                }
                Exit.check(deadline, "publisher " + name + " stuck at message " + seq + " (offer " + result +
                    ", connected=" + pub.isConnected() + ")");
                idle.idle();
            }
        }
        System.out.println("SENT publisher=" + name + " messages=" + count + " position=" + pub.position() +
            " elapsed-ms=" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        pub.close();
    }

    /** One image as the subscriber sees it. */
    /**
     * The message count at which the track's image reports {@code want}
     * transports after a removal (printed once), or -1 while it does not yet.
     */
    static long transportsDropped(final Track t, final int want)
    {
        if (t.image.activeTransportCount() != want)
        {
            return -1;
        }
        System.out.println("TRANSPORTS session=" + t.image.sessionId() + " count=" + want + " at=" + t.next);
        return t.next;
    }

    static final class Track
    {
        final Image image;
        String name;
        long next;
        int maxTransports;
        long firstNs;
        long lastNs;

        Track(final Image image)
        {
            this.image = image;
        }

        String describe()
        {
            return "[session=" + image.sessionId() + " publisher=" + name + " received=" + next +
                " transports=" + image.activeTransportCount() + " max-transports=" + maxTransports + "]";
        }
    }

    static void sub(
        final Aeron aeron,
        final int stream,
        final int count,
        final int images,
        final int transports,
        final int removeAt,
        final long deadline,
        final String[] destinations)
    {
        // The image handlers run on the client conductor's thread.
        final Queue<Image> available = new ConcurrentLinkedQueue<>();
        final Queue<Image> unavailable = new ConcurrentLinkedQueue<>();
        final Subscription sub;
        try
        {
            sub = aeron.addSubscription(MDS_CHANNEL, stream, available::add, unavailable::add);
        }
        catch (final AeronException ex)
        {
            Exit.fail("subscriber-side driver refused the subscription " + MDS_CHANNEL + ": " + ex.getMessage());
            return;
        }
        for (final String destination : destinations)
        {
            try
            {
                sub.addDestination(destination);
            }
            catch (final AeronException ex)
            {
                Exit.fail("subscriber-side driver refused destination " + destination + " on " + MDS_CHANNEL +
                    ": " + ex.getMessage());
            }
        }
        System.out.println("READY channel=" + MDS_CHANNEL + " stream=" + stream + " destinations=" +
            String.join(",", destinations));

        final List<Track> tracks = new ArrayList<>();
        final String[] failure = { null };
        final FragmentHandler handler = new FragmentAssembler((buffer, offset, length, header) ->
        {
            // The subscription can hand out an image's messages before its
            // available-image callback has reached this thread.
            final Image image = sub.imageBySessionId(header.sessionId());
            if (failure[0] == null)
            {
                failure[0] = image == null ?
                    "message from session " + header.sessionId() + ", which has no image" :
                    verify(track(tracks, image, images), buffer, offset, length, count);
            }
        });

        final IdleStrategy idle = new BackoffIdleStrategy(10, 10, 1_000, 1_000_000);
        final String removed = removeAt > 0 ? destinations[destinations.length - 1] : null;
        long removedAt = -1;
        long droppedAt = -1;
        while (failure[0] == null && !complete(tracks, images, count))
        {
            int work = 0;
            Image image;
            while ((image = available.poll()) != null)
            {
                work++;
                track(tracks, image, images);
            }
            while ((image = unavailable.poll()) != null)
            {
                work++;
                for (final Track t : tracks)
                {
                    if (t.image.correlationId() == image.correlationId() && t.next < count)
                    {
                        Exit.fail("image " + t.describe() + " went unavailable after " + t.next + " of " + count +
                            " messages" + (removedAt >= 0 ? " (destination " + removed + " was removed after " +
                            removedAt + ")" : ""));
                    }
                }
            }
            work += sub.poll(handler, 20);
            for (final Track t : tracks)
            {
                t.maxTransports = Math.max(t.maxTransports, t.image.activeTransportCount());
            }
            if (removed != null && removedAt < 0 && tracks.size() == 1)
            {
                final Track t = tracks.get(0);
                // Remove only once data has come through every destination,
                // so the removal takes away a path that was in use.
                if (t.next >= removeAt && t.maxTransports >= destinations.length)
                {
                    final int before = t.image.activeTransportCount();
                    try
                    {
                        sub.removeDestination(removed);
                    }
                    catch (final AeronException ex)
                    {
                        Exit.fail("subscriber-side driver refused to remove destination " + removed + " from " +
                            MDS_CHANNEL + ": " + ex.getMessage());
                    }
                    removedAt = t.next;
                    System.out.println("REMOVED destination=" + removed + " at=" + removedAt +
                        " transports-before=" + before + " transports-after=" + t.image.activeTransportCount());
                }
            }
            if (removedAt >= 0 && droppedAt < 0)
            {
                droppedAt = transportsDropped(tracks.get(0), destinations.length - 1);
            }
            if (System.nanoTime() > deadline)
            {
                final StringBuilder state = new StringBuilder();
                for (final Track t : tracks)
                {
                    state.append(' ').append(t.describe());
                }
                Exit.timeout("subscriber has " + tracks.size() + " of " + images + " images, " + count +
                    " messages expected on each" + (removed != null ? ", destination " + removed +
                    (removedAt >= 0 ? " removed after " + removedAt : " not yet removed") : "") + ";" + state);
            }
            if (work == 0)
            {
                idle.idle();
            }
            else
            {
                idle.reset();
            }
        }

        // Anything after the last message would be a duplicate. A driver
        // applies a removed destination on its receiver's next duty cycle,
        // which may come after the last message: the count may drop here.
        final long quiet = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
        final long dropLimit = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (failure[0] == null && (System.nanoTime() < quiet ||
            (removedAt >= 0 && droppedAt < 0 && System.nanoTime() < dropLimit)))
        {
            if (removedAt >= 0 && droppedAt < 0)
            {
                droppedAt = transportsDropped(tracks.get(0), destinations.length - 1);
            }
            if (sub.poll(handler, 20) == 0)
            {
                idle.idle();
            }
        }
        if (failure[0] != null)
        {
            Exit.fail(failure[0]);
        }
        final StringBuilder names = new StringBuilder();
        for (final Track t : tracks)
        {
            if (t.maxTransports != transports)
            {
                Exit.fail("image " + t.describe() + " reported data through " + t.maxTransports +
                    " destinations at most (activeTransportCount), want " + transports);
            }
            for (final Track o : tracks)
            {
                if (o != t && o.name.equals(t.name))
                {
                    Exit.fail("images of sessions " + o.image.sessionId() + " and " + t.image.sessionId() +
                        " both carry publisher " + t.name);
                }
            }
            names.append(names.length() == 0 ? "" : ",").append(t.name);
        }
        if (removed != null && droppedAt < 0)
        {
            Exit.fail("after removing destination " + removed + " the image still reports " +
                tracks.get(0).image.activeTransportCount() + " transports (activeTransportCount), want " +
                (destinations.length - 1));
        }
        long spanNs = 0;
        for (final Track t : tracks)
        {
            spanNs = Math.max(spanNs, t.lastNs - t.firstNs);
        }
        System.out.println("RESULT images=" + tracks.size() + " messages=" + count + " publishers=" + names +
            " removed-at=" + removedAt + " transports-dropped-at=" + droppedAt +
            " elapsed-ms=" + TimeUnit.NANOSECONDS.toMillis(spanNs));
        sub.close();
    }

    /** The track of an image, started (and reported) the first time the image is seen. */
    static Track track(final List<Track> tracks, final Image image, final int images)
    {
        for (final Track t : tracks)
        {
            if (t.image.correlationId() == image.correlationId())
            {
                return t;
            }
        }
        final Track t = new Track(image);
        tracks.add(t);
        System.out.println("IMAGE session=" + image.sessionId() + " source=" + image.sourceIdentity() +
            " correlation=" + image.correlationId() + " join-position=" + image.joinPosition() +
            " transports=" + image.activeTransportCount());
        if (tracks.size() > images)
        {
            Exit.fail("subscriber got " + tracks.size() + " images, want " + images + ": session " +
                image.sessionId() + " from " + image.sourceIdentity() + " is one too many");
        }
        return t;
    }

    static boolean complete(final List<Track> tracks, final int images, final int count)
    {
        if (tracks.size() < images)
        {
            return false;
        }
        for (final Track t : tracks)
        {
            if (t.next < count)
            {
                return false;
            }
        }
        return true;
    }

    /** Checks one message against its image's sequence; returns what is wrong, or null. */
    static String verify(
        final Track track, final DirectBuffer buffer, final int offset, final int length, final long count)
    {
        // Headers are short; read no more than the longest one.
        final String text = buffer.getStringWithoutLengthAscii(offset, Math.min(length, 40));
        final String[] words = text.split(" ", 3);
        long seq = -1;
        if (words.length >= 2)
        {
            try
            {
                seq = Long.parseLong(words[1]);
            }
            catch (final NumberFormatException ignored)
            {
                // Reported below as malformed.
            }
        }
        if (seq < 0)
        {
            return "image " + track.describe() + " carried a malformed message of " + length + " bytes: '" +
                text + "'";
        }
        if (track.name == null)
        {
            track.name = words[0];
            track.firstNs = System.nanoTime();
        }
        if (!track.name.equals(words[0]))
        {
            return "image " + track.describe() + " carried message " + seq + " of publisher " + words[0];
        }
        if (seq != track.next)
        {
            return "image " + track.describe() + " carried message " + seq + ", want " + track.next +
                (seq < track.next ? " (a duplicate)" : " (a gap)");
        }
        if (seq >= count)
        {
            return "image " + track.describe() + " carried message " + seq + " beyond the " + count + " sent";
        }
        if (length != length(seq))
        {
            return "image " + track.describe() + " message " + seq + " has " + length + " bytes, want " +
                length(seq);
        }
        for (int i = header(track.name, seq).length(); i < length; i++)
        {
            if (buffer.getByte(offset + i) != fill(seq, i))
            {
                return "image " + track.describe() + " message " + seq + " byte " + i + " differs";
            }
        }
        track.next++;
        track.lastNs = System.nanoTime();
        return null;
    }
}
