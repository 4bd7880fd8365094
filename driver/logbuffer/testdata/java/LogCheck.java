import io.aeron.FragmentAssembler;
import io.aeron.LogBuffers;
import io.aeron.logbuffer.Header;
import io.aeron.logbuffer.TermReader;
import io.aeron.logbuffer.TermScanner;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.zip.CRC32;

import static io.aeron.logbuffer.LogBufferDescriptor.*;

/**
 * Maps a log buffer written by aeron-bypass with Aeron's own LogBuffers and
 * prints what Aeron's descriptor, reader, assembler and scanner make of it,
 * one fact per line, for the Go test to compare.
 */
public class LogCheck
{
    public static void main(final String[] args)
    {
        try (LogBuffers logs = new LogBuffers(args[0]))
        {
            final UnsafeBuffer meta = logs.metaDataBuffer();
            final UnsafeBuffer[] terms = logs.duplicateTermBuffers();
            final int termLength = logs.termLength();
            final int initialTermId = initialTermId(meta);
            final int bits = positionBitsToShift(termLength);

            System.out.println("meta " + initialTermId + " " + mtuLength(meta) + " " + termLength(meta) + " " +
                pageSize(meta) + " " + correlationId(meta) + " " + activeTermCount(meta) + " " +
                endOfStreamPosition(meta) + " " + isConnected(meta));
            for (int i = 0; i < PARTITION_COUNT; i++)
            {
                System.out.println("tail " + i + " " + termId(rawTail(meta, i)) + " " + termOffset(rawTail(meta, i), termLength));
            }

            final long rawTail = rawTail(meta, indexByTermCount(activeTermCount(meta)));
            final long producer = computePosition(termId(rawTail), termOffset(rawTail, termLength), bits, initialTermId);
            System.out.println("producer " + producer);

            final StringBuilder out = new StringBuilder();
            final CRC32 crc = new CRC32();
            final FragmentAssembler assembler = new FragmentAssembler((buffer, offset, length, header) ->
            {
                final byte[] bytes = new byte[length];
                buffer.getBytes(offset, bytes);
                crc.reset();
                crc.update(bytes);
                out.append("msg ").append(length).append(' ').append(crc.getValue())
                    .append(' ').append(header.sessionId()).append(' ').append(header.streamId())
                    .append(' ').append(header.reservedValue()).append(' ').append(header.position()).append('\n');
            });
            final Header header = new Header(initialTermId, bits);
            long position = 0;
            for (int i = 0; i < 1000 && position < producer; i++)
            {
                final int index = indexByPosition(position, bits);
                final int offset = (int)(position & (termLength - 1));
                final long result = TermReader.read(
                    terms[index], offset, assembler, Integer.MAX_VALUE, header, Throwable::printStackTrace);
                final int newOffset = TermReader.offset(result);
                if (newOffset == offset)
                {
                    break;
                }
                position += newOffset - offset;
            }
            System.out.print(out);
            System.out.println("read " + position);

            final long scan = TermScanner.scanForAvailability(terms[0], 0, 4096);
            System.out.println("scan " + TermScanner.available(scan) + " " + TermScanner.padding(scan));
        }
    }
}
