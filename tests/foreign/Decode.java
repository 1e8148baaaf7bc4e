// Reads HdrHistogram compressed base64 encodings, one per line on stdin, with
// Debian's libhdrhistogram-java, and prints for each: total count, p50, p99, max.
// Run: java -cp /usr/share/java/hdrhistogram.jar tests/foreign/Decode.java < lines
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.util.Base64;
import org.HdrHistogram.Histogram;

public class Decode {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.isBlank()) continue;
            ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(line.trim()));
            Histogram h = Histogram.decodeFromCompressedByteBuffer(bytes, 0);
            System.out.println(h.getTotalCount() + " " + h.getValueAtPercentile(50.0) + " "
                + h.getValueAtPercentile(99.0) + " " + h.getMaxValue());
        }
    }
}
