import io.aeron.ErrorCode;
import io.aeron.command.*;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;

/**
 * Encodes one of each control message with Aeron's own flyweights and fixed
 * values, printing "name hex" lines for the Go test to compare byte for byte.
 */
public class EncodeCommands
{
    static final long CLIENT_ID = 0x0102030405060708L;

    static void print(final String name, final UnsafeBuffer buffer, final int length)
    {
        final StringBuilder sb = new StringBuilder(name).append(' ');
        for (int i = 0; i < length; i++)
        {
            sb.append(String.format("%02x", buffer.getByte(i) & 0xFF));
        }
        System.out.println(sb);
    }

    static UnsafeBuffer fresh()
    {
        return new UnsafeBuffer(new byte[512]);
    }

    static UnsafeBuffer bytes(final String s)
    {
        return new UnsafeBuffer(s.getBytes(StandardCharsets.US_ASCII));
    }

    public static void main(final String[] args)
    {
        UnsafeBuffer b = fresh();
        final PublicationMessageFlyweight pub = new PublicationMessageFlyweight();
        pub.wrap(b, 0);
        pub.clientId(CLIENT_ID);
        pub.correlationId(5);
        pub.streamId(10);
        pub.channel("aeron:udp?endpoint=localhost:40123");
        print("publication", b, pub.length());

        b = fresh();
        final SubscriptionMessageFlyweight sub = new SubscriptionMessageFlyweight();
        sub.wrap(b, 0);
        sub.clientId(CLIENT_ID);
        sub.correlationId(5);
        sub.registrationCorrelationId(-1);
        sub.streamId(10);
        sub.channel("aeron:ipc");
        print("subscription", b, sub.length());

        b = fresh();
        final CounterMessageFlyweight counter = new CounterMessageFlyweight();
        counter.wrap(b, 0);
        counter.clientId(CLIENT_ID);
        counter.correlationId(5);
        counter.typeId(1001);
        counter.keyBuffer(new UnsafeBuffer(new byte[]{ 1, 2, 3 }), 0, 3);
        counter.label("my label");
        print("counter", b, counter.length());

        b = fresh();
        final StaticCounterMessageFlyweight staticCounter = new StaticCounterMessageFlyweight();
        staticCounter.wrap(b, 0);
        staticCounter.clientId(CLIENT_ID);
        staticCounter.correlationId(5);
        staticCounter.registrationId(77);
        staticCounter.typeId(1002);
        staticCounter.keyBuffer(new UnsafeBuffer(new byte[]{ 1, 2, 3, 4, 5 }), 0, 5);
        staticCounter.label("static");
        print("static-counter", b, staticCounter.length());

        b = fresh();
        final RemovePublicationFlyweight removePub = new RemovePublicationFlyweight();
        removePub.wrap(b, 0);
        removePub.clientId(CLIENT_ID);
        removePub.correlationId(5);
        removePub.registrationId(3);
        removePub.revoke(true);
        print("remove-publication", b, RemovePublicationFlyweight.length());

        b = fresh();
        final DestinationMessageFlyweight destination = new DestinationMessageFlyweight();
        destination.wrap(b, 0);
        destination.clientId(CLIENT_ID);
        destination.correlationId(5);
        destination.registrationCorrelationId(9);
        destination.channel("aeron:udp?endpoint=a:1");
        print("destination", b, destination.length());

        b = fresh();
        final DestinationByIdMessageFlyweight byId = new DestinationByIdMessageFlyweight();
        byId.wrap(b, 0);
        byId.clientId(CLIENT_ID);
        byId.correlationId(5);
        byId.resourceRegistrationId(4);
        byId.destinationRegistrationId(8);
        print("destination-by-id", b, DestinationByIdMessageFlyweight.MESSAGE_LENGTH);

        b = fresh();
        final RejectImageFlyweight reject = new RejectImageFlyweight();
        reject.wrap(b, 0);
        reject.clientId(CLIENT_ID);
        reject.correlationId(5);
        reject.imageCorrelationId(6);
        reject.position(4096);
        reject.reason("bad");
        print("reject-image", b, RejectImageFlyweight.computeLength("bad"));

        b = fresh();
        final TerminateDriverFlyweight terminate = new TerminateDriverFlyweight();
        terminate.wrap(b, 0);
        terminate.clientId(CLIENT_ID);
        terminate.correlationId(5);
        terminate.tokenBuffer(bytes("tok"), 0, 3);
        print("terminate", b, terminate.length());

        b = fresh();
        final GetNextAvailableSessionIdMessageFlyweight nextSession = new GetNextAvailableSessionIdMessageFlyweight();
        nextSession.wrap(b, 0);
        nextSession.clientId(CLIENT_ID);
        nextSession.correlationId(5);
        nextSession.streamId(10);
        print("next-session-id", b, nextSession.length());

        b = fresh();
        final ErrorResponseFlyweight error = new ErrorResponseFlyweight();
        error.wrap(b, 0);
        error.offendingCommandCorrelationId(5);
        error.errorCode(ErrorCode.INVALID_CHANNEL);
        error.errorMessage("bad channel");
        print("error", b, error.length());

        b = fresh();
        final PublicationBuffersReadyFlyweight pubReady = new PublicationBuffersReadyFlyweight();
        pubReady.wrap(b, 0);
        pubReady.correlationId(5);
        pubReady.registrationId(4);
        pubReady.sessionId(-7);
        pubReady.streamId(10);
        pubReady.publicationLimitCounterId(3);
        pubReady.channelStatusCounterId(-1);
        pubReady.logFileName("/dev/shm/aeron/publications/4.logbuffer");
        print("publication-ready", b, pubReady.length());

        b = fresh();
        final ImageBuffersReadyFlyweight image = new ImageBuffersReadyFlyweight();
        image.wrap(b, 0);
        image.correlationId(5);
        image.sessionId(-7);
        image.streamId(10);
        image.subscriptionRegistrationId(9);
        image.subscriberPositionId(3);
        image.logFileName("/dev/shm/a/images/5.logbuffer");
        image.sourceIdentity("127.0.0.1:40123");
        print("available-image", b, image.length());

        b = fresh();
        final ImageMessageFlyweight unavailable = new ImageMessageFlyweight();
        unavailable.wrap(b, 0);
        unavailable.correlationId(5);
        unavailable.subscriptionRegistrationId(9);
        unavailable.streamId(10);
        unavailable.channel("aeron:ipc");
        print("unavailable-image", b, unavailable.length());

        b = fresh();
        final SubscriptionReadyFlyweight subReady = new SubscriptionReadyFlyweight();
        subReady.wrap(b, 0);
        subReady.correlationId(5);
        subReady.channelStatusCounterId(2);
        print("subscription-ready", b, SubscriptionReadyFlyweight.LENGTH);

        b = fresh();
        final CounterUpdateFlyweight counterReady = new CounterUpdateFlyweight();
        counterReady.wrap(b, 0);
        counterReady.correlationId(5);
        counterReady.counterId(3);
        print("counter-ready", b, CounterUpdateFlyweight.LENGTH);
    }
}
