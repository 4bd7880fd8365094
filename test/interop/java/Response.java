import io.aeron.Aeron;
import io.aeron.AvailableImageHandler;
import io.aeron.ExclusivePublication;
import io.aeron.Image;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.UnavailableImageHandler;
import io.aeron.exceptions.RegistrationException;
import io.aeron.logbuffer.ControlledFragmentHandler;
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
 * Request and response over Aeron response channels, written with the plain
 * client API so every channel URI is visible.
 *
 * The client adds a response subscription
 * {@code aeron:udp?control-mode=response|control=RESPONSE_CONTROL} (registration R),
 * then a request publication {@code aeron:udp?endpoint=REQUEST_ENDPOINT|response-correlation-id=R}.
 * The server subscribes to {@code aeron:udp?endpoint=REQUEST_ENDPOINT}; for every image
 * (correlation id I) it adds a response publication
 * {@code aeron:udp?control-mode=response|control=RESPONSE_CONTROL|response-correlation-id=I}
 * and echoes each request of that image on it, prefixed with "echo ", once
 * all SESSIONS clients are there.
 *
 * "client" sends COUNT numbered requests, checks it gets back exactly the
 * echo of each of its own, in order, and nothing more, then exits 0.
 * "server" exits 0 once SESSIONS request images have come, been answered
 * and gone again.
 * Exit codes: 2 a check failed or the driver refused a channel, 3 timeout.
 *
 * Usage: Response server REQUEST_ENDPOINT RESPONSE_CONTROL REQUEST_STREAM RESPONSE_STREAM SESSIONS TIMEOUT_SECONDS
 *        Response client NAME REQUEST_ENDPOINT RESPONSE_CONTROL REQUEST_STREAM RESPONSE_STREAM COUNT TIMEOUT_SECONDS
 */
public final class Response
{
    static final String ECHO = "echo ";

    public static void main(final String[] args) throws Exception
    {
        final Aeron.Context ctx = new Aeron.Context().errorHandler(
            (error) -> System.out.println("ERROR " + error));
        try (Aeron aeron = Aeron.connect(ctx))
        {
            if ("server".equals(args[0]))
            {
                server(aeron, args[1], args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                    Integer.parseInt(args[5]), Exit.deadline(args[6]));
            }
            else
            {
                client(aeron, args[1], args[2], args[3], Integer.parseInt(args[4]), Integer.parseInt(args[5]),
                    Integer.parseInt(args[6]), Exit.deadline(args[7]));
            }
        }
    }

    static String request(final String client, final long seq)
    {
        return "request " + seq + " from " + client;
    }

    /** One client as the server sees it: its request image and the response publication linked to it. */
    static final class Session
    {
        final Image image;
        final Publication response;
        final UnsafeBuffer out = new UnsafeBuffer(ByteBuffer.allocateDirect(1024));
        String client;
        long requests;
        boolean closed;

        Session(final Image image, final Publication response)
        {
            this.image = image;
            this.response = response;
        }
    }

    static void server(
        final Aeron aeron,
        final String requestEndpoint,
        final String responseControl,
        final int requestStream,
        final int responseStream,
        final int sessions,
        final long deadline) throws Exception
    {
        final String requestChannel = "aeron:udp?endpoint=" + requestEndpoint;
        final String responseChannel = "aeron:udp?control-mode=response|control=" + responseControl;
        // The image handlers run on the client conductor's thread.
        final Queue<Image> available = new ConcurrentLinkedQueue<>();
        final Queue<Image> unavailable = new ConcurrentLinkedQueue<>();
        final List<Session> open = new ArrayList<>();
        final String[] failure = { null };
        int closed = 0;
        long total = 0;

        final Subscription sub = subscribe(
            aeron, "server-side", "request subscription", requestChannel, requestStream,
            available::add, unavailable::add);
        System.out.println("READY request=" + requestChannel + " stream=" + requestStream);
        final IdleStrategy idle = new BackoffIdleStrategy(10, 10, 1_000, 1_000_000);
        while (closed < sessions)
        {
            int work = 0;
            Image image;
            while ((image = available.poll()) != null)
            {
                work++;
                final String channel = responseChannel + "|response-correlation-id=" + image.correlationId();
                final Publication pub;
                try
                {
                    pub = aeron.addPublication(channel, responseStream);
                }
                catch (final RegistrationException ex)
                {
                    Exit.fail("server-side driver refused the response publication " + channel + " for image " +
                        image.correlationId() + " from " + image.sourceIdentity() + ": " + ex.getMessage());
                    return;
                }
                open.add(new Session(image, pub));
                System.out.println("SESSION image=" + image.correlationId() + " session=" + image.sessionId() +
                    " source=" + image.sourceIdentity() + " response=" + channel +
                    " response-session=" + pub.sessionId());
            }
            while ((image = unavailable.poll()) != null)
            {
                work++;
                for (final Session s : open)
                {
                    if (s.image.correlationId() == image.correlationId() && !s.closed)
                    {
                        s.closed = true;
                        closed++;
                        total += s.requests;
                        s.response.close();
                        System.out.println("CLOSED image=" + image.correlationId() + " client=" + s.client +
                            " requests=" + s.requests);
                    }
                }
            }
            // Nothing is answered until every client is there, so the
            // responses to all of them are in flight together.
            for (int i = 0; open.size() >= sessions && i < open.size(); i++)
            {
                final Session s = open.get(i);
                if (!s.closed)
                {
                    work += s.image.controlledPoll((buffer, offset, length, header) ->
                        echo(s, buffer, offset, length, failure), 10);
                }
            }
            if (failure[0] != null)
            {
                Exit.fail(failure[0]);
            }
            if (System.nanoTime() > deadline)
            {
                final StringBuilder state = new StringBuilder();
                for (final Session s : open)
                {
                    state.append(" [image=").append(s.image.correlationId()).append(" client=").append(s.client)
                        .append(" requests=").append(s.requests).append(" response-connected=")
                        .append(s.response.isConnected()).append(" closed=").append(s.closed).append(']');
                }
                Exit.timeout("server saw " + open.size() + " request images, " + closed + " gone, " + sessions +
                    " expected;" + state);
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
        sub.close();
        System.out.println("DONE sessions=" + closed + " requests=" + total);
    }

    /** Echoes one request on its client's response publication, holding it back while that is not ready. */
    static ControlledFragmentHandler.Action echo(
        final Session s, final DirectBuffer buffer, final int offset, final int length, final String[] failure)
    {
        // Requests are short; anything longer would not fit the echo buffer.
        final String req = buffer.getStringWithoutLengthAscii(offset, Math.min(length, 256));
        final String[] words = req.split(" ");
        if (length > 256 || words.length != 4 || !"request".equals(words[0]) || !"from".equals(words[2]))
        {
            failure[0] = "image " + s.image.correlationId() + " carried a malformed request: '" + req + "'";
            return ControlledFragmentHandler.Action.BREAK;
        }
        final long seq;
        try
        {
            seq = Long.parseLong(words[1]);
        }
        catch (final NumberFormatException ex)
        {
            failure[0] = "image " + s.image.correlationId() + " carried a malformed request: '" + req + "'";
            return ControlledFragmentHandler.Action.BREAK;
        }
        if (s.client == null)
        {
            s.client = words[3];
        }
        if (!s.client.equals(words[3]) || seq != s.requests)
        {
            failure[0] = "image " + s.image.correlationId() + " of client " + s.client + " carried '" + req +
                "', want request " + s.requests;
            return ControlledFragmentHandler.Action.BREAK;
        }
        final int len = s.out.putStringWithoutLengthAscii(0, ECHO + req);
        if (s.response.offer(s.out, 0, len) < 0)
        {
            // Not connected yet or back pressure: the request is read again next time.
            return ControlledFragmentHandler.Action.ABORT;
        }
        s.requests++;
        return ControlledFragmentHandler.Action.CONTINUE;
    }

    static void client(
        final Aeron aeron,
        final String name,
        final String requestEndpoint,
        final String responseControl,
        final int requestStream,
        final int responseStream,
        final int count,
        final long deadline) throws Exception
    {
        final String responseChannel = "aeron:udp?control-mode=response|control=" + responseControl;
        final Subscription sub = subscribe(
            aeron, "client-side", "response subscription", responseChannel, responseStream, null, null);
        final String requestChannel =
            "aeron:udp?endpoint=" + requestEndpoint + "|response-correlation-id=" + sub.registrationId();
        final ExclusivePublication pub;
        try
        {
            pub = aeron.addExclusivePublication(requestChannel, requestStream);
        }
        catch (final RegistrationException ex)
        {
            Exit.fail("client-side driver refused the request publication " + requestChannel + ": " + ex.getMessage());
            return;
        }
        System.out.println("STARTED client=" + name + " response=" + responseChannel + " response-subscription=" +
            sub.registrationId() + " request=" + requestChannel + " request-session=" + pub.sessionId());

        final IdleStrategy idle = new BackoffIdleStrategy(10, 10, 1_000, 1_000_000);
        while (!pub.isConnected())
        {
            Exit.check(deadline, "request publication not connected: no status message from the server's request " +
                "subscription at " + requestEndpoint);
            idle.idle();
        }
        while (!sub.isConnected())
        {
            Exit.check(deadline, "response subscription not connected: no response publication reached it " +
                "(request connected=" + pub.isConnected() + ", response images=" + sub.imageCount() + ")");
            idle.idle();
        }
        final Image responseImage = sub.imageAtIndex(0);
        System.out.println("CONNECTED client=" + name + " response-session=" + responseImage.sessionId() +
            " response-source=" + responseImage.sourceIdentity());

        final long start = System.nanoTime();
        final long[] received = { 0 };
        final String[] failure = { null };
        final FragmentHandler handler = (buffer, offset, length, header) ->
        {
            final String got = buffer.getStringWithoutLengthAscii(offset, length);
            final String want = ECHO + request(name, received[0]);
            if (!got.equals(want) && failure[0] == null)
            {
                failure[0] = "response " + received[0] + " is '" + got + "', want '" + want + "' (session " +
                    header.sessionId() + ")";
            }
            received[0]++;
        };
        final UnsafeBuffer out = new UnsafeBuffer(ByteBuffer.allocateDirect(1024));
        long sent = 0;
        while (received[0] < count && failure[0] == null)
        {
            int work = sub.poll(handler, 10);
            if (sent < count)
            {
                final int len = out.putStringWithoutLengthAscii(0, request(name, sent));
                final long result = pub.offer(out, 0, len);
                if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED)
                {
                    Exit.fail("request publication failed at request " + sent + ": " + result);
                }
                if (result > 0)
                {
                    sent++;
                    work++;
                }
            }
            if (System.nanoTime() > deadline)
            {
                Exit.timeout("sent " + sent + " requests, received " + received[0] + " of " + count +
                    " responses (request connected=" + pub.isConnected() + ", response images=" +
                    sub.imageCount() + ")");
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
        final long elapsed = System.nanoTime() - start;
        // Anything after the last answer belongs to someone else.
        final long quiet = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
        while (failure[0] == null && System.nanoTime() < quiet)
        {
            if (sub.poll(handler, 10) == 0)
            {
                idle.idle();
            }
        }
        if (failure[0] == null && received[0] != count)
        {
            failure[0] = "received " + received[0] + " responses for " + count + " requests";
        }
        if (failure[0] == null && sub.imageCount() != 1)
        {
            failure[0] = "response subscription has " + sub.imageCount() + " images, want 1";
        }
        if (failure[0] != null)
        {
            Exit.fail("client " + name + ": " + failure[0]);
        }
        System.out.println("RESULT client=" + name + " requests=" + sent + " responses=" + received[0] +
            " elapsed-ms=" + TimeUnit.NANOSECONDS.toMillis(elapsed));
        pub.close();
        sub.close();
    }

    static Subscription subscribe(
        final Aeron aeron,
        final String side,
        final String what,
        final String channel,
        final int stream,
        final AvailableImageHandler onAvailable,
        final UnavailableImageHandler onUnavailable)
    {
        try
        {
            return onAvailable == null ? aeron.addSubscription(channel, stream) :
                aeron.addSubscription(channel, stream, onAvailable, onUnavailable);
        }
        catch (final RegistrationException ex)
        {
            Exit.fail(side + " driver refused the " + what + " " + channel + ": " + ex.getMessage());
            return null;
        }
    }
}
