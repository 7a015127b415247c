package org.tlbjava.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.ImageIO;

/** A test client for a server on 127.0.0.1, and test images. */
final class Http {
    record Answer(int status, String contentType, String body) {
        JsonNode json() {
            try {
                return new ObjectMapper().readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }
    }

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final int port;
    private final String base;

    Http(int port) {
        this.port = port;
        this.base = "http://127.0.0.1:" + port;
    }

    Answer get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    /** A GET that fails with HttpTimeoutException when no answer comes within {@code timeout}. */
    Answer get(String path, Duration timeout) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout).GET());
    }

    Answer send(String method, String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).method(method, HttpRequest.BodyPublishers.noBody()));
    }

    Answer post(String path, String contentType, byte[] body) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    /**
     * Posts {@code size} zero bytes as a hostile client would, over a plain socket: the body is
     * written on another thread, ignoring a server that stops reading, while this one reads the
     * answer (a client that only reads after writing would lose it when the server closes).
     */
    Answer postFlood(String path, long size, boolean chunked) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
                            + "Connection: close\r\n" + (chunked ? "Transfer-Encoding: chunked" : "Content-Length: " + size)
                            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    byte[] block = new byte[1 << 16];
                    for (long sent = 0; sent < size; sent += block.length) {
                        if (chunked) {
                            out.write((Integer.toHexString(block.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        }
                        out.write(block);
                        if (chunked) {
                            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                        }
                    }
                } catch (IOException serverStoppedReading) {
                    // expected: the server answers without reading the whole body
                }
            });
            writer.start();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            try {
                socket.getInputStream().transferTo(received);
            } catch (IOException resetAfterTheAnswer) {
                // what was read before the reset is the answer
            }
            writer.interrupt();
            String text = received.toString(StandardCharsets.UTF_8);
            int status = Integer.parseInt(text.split(" ", 3)[1]);
            String contentType = text.replaceAll("(?is).*?\r\ncontent-type: *([^\r]*).*", "$1");
            return new Answer(status, contentType, text.substring(text.indexOf('{'), text.lastIndexOf('}') + 1));
        }
    }

    /** A multipart/form-data upload of one file field. */
    Answer upload(String path, String field, String fileType, byte[] file) throws Exception {
        String boundary = "tlbtestboundary";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field
                + "\"; filename=\"image.png\"\r\nContent-Type: " + fileType + "\r\n\r\n").getBytes());
        body.write(file);
        body.write(("\r\n--" + boundary + "--\r\n").getBytes());
        return post(path, "multipart/form-data; boundary=" + boundary, body.toByteArray());
    }

    private Answer send(HttpRequest.Builder request) throws Exception {
        HttpRequest built = request.build();
        HttpResponse<String> r = client.send(built.timeout().isPresent() ? built : request.timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    /** A side x side image of noise around a colour; different seeds give different images. */
    static BufferedImage image(int side, long seed) {
        Random random = new Random(seed);
        int base = random.nextInt(0xffffff);
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                image.setRGB(x, y, (base + random.nextInt(0x303030)) & 0xffffff);
            }
        }
        return image;
    }

    /**
     * A PNG of {@code width x height} black pixels, written directly (ImageIO takes many seconds
     * for a large 16-bit one): {@code colorType} 2 is RGB, 6 RGBA; {@code bitDepth} 8 or 16.
     * Rows of zeros compress about 1000:1, so a 6300 x 6300 16-bit RGBA image is some 300 KB.
     */
    static byte[] blankPng(int width, int height, int bitDepth, int colorType) throws IOException {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(png);
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        DataOutputStream ihdr = new DataOutputStream(header);
        ihdr.writeInt(width);
        ihdr.writeInt(height);
        ihdr.write(new byte[] {(byte) bitDepth, (byte) colorType, 0, 0, 0});
        chunk(out, "IHDR", header.toByteArray());
        ByteArrayOutputStream pixels = new ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(pixels, new Deflater(Deflater.BEST_SPEED), 1 << 16)) {
            byte[] row = new byte[1 + width * (colorType == 6 ? 4 : 3) * bitDepth / 8]; // a filter byte, then samples
            for (int y = 0; y < height; y++) {
                z.write(row);
            }
        }
        chunk(out, "IDAT", pixels.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return png.toByteArray();
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
        CRC32 crc = new CRC32();
        crc.update(type.getBytes(StandardCharsets.US_ASCII));
        crc.update(data);
        out.writeInt(data.length);
        out.writeBytes(type);
        out.write(data);
        out.writeInt((int) crc.getValue());
    }

    static byte[] png(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
