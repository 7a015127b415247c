package org.tlbjava.serve;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tlbjava.testing.TrainedRuns;

/** The server's limits on requests, each tried the way an attacker would, over real HTTP on 127.0.0.1. */
class ServeRequestLimitsTest {
    private static final String RUN = TrainedRuns.RUN;
    private static final String PREDICT = "/predictions/" + RUN;
    private static Path runs;

    @BeforeAll
    static void train() throws Exception {
        runs = TrainedRuns.runsDir();
    }

    private static TlbServer serve(ServeLimits limits) {
        return new TlbServer(new ModelRegistry(runs, List.of(), limits), limits).start("127.0.0.1", 0);
    }

    private static void assertError(Http.Answer answer, int code, String type) {
        assertEquals(code, answer.status(), answer.body());
        assertEquals(type, answer.json().get("type").asText(), answer.body());
    }

    /** A socket that has sent a POST's headers announcing {@code length} bytes, and {@code sent} of them. */
    private static Socket slowUpload(int port, int length, int sent) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.getOutputStream().write(("POST " + PREDICT + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
                + "Content-Length: " + length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().write(new byte[sent]);
        socket.getOutputStream().flush();
        return socket;
    }

    private static String statusLine(Socket socket) throws IOException {
        socket.setSoTimeout(10_000);
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b >= 0 && b != '\r'; b = in.read()) {
            line.write(b);
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    @Test
    void slowUploadsHoldNoThreadAndAreCutAtTheUploadTimeout() throws Exception {
        // 300 clients dripping bodies: more than Jetty's 250 threads, which each used to hold
        try (TlbServer server = serve(ServeLimits.DEFAULT.withConnections(512, 2_000))) {
            Http http = new Http(server.port());
            List<Socket> slow = new ArrayList<>();
            try {
                for (int i = 0; i < 300; i++) {
                    slow.add(slowUpload(server.port(), 5_000_000, 1));
                }
                Thread.sleep(300); // every upload has reached the server
                for (Socket socket : slow.subList(0, 20)) {
                    socket.getOutputStream().write(0); // a byte now and then keeps the idle timeout away
                }
                assertEquals(200, http.get("/ping", Duration.ofSeconds(1)).status(), "/ping answered during the attack");
                assertEquals(200, http.post(PREDICT, "image/png", Http.png(Http.image(32, 1))).status());
                for (Socket socket : slow.subList(0, 5)) {
                    assertTrue(statusLine(socket).startsWith("HTTP/1.1 408"), "cut at the upload timeout");
                }
            } finally {
                for (Socket socket : slow) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void clientsOverTheConnectionCapWaitToBeAccepted() throws Exception {
        try (TlbServer server = serve(ServeLimits.DEFAULT.withConnections(4, 30_000))) {
            Http http = new Http(server.port());
            List<Socket> idle = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    idle.add(new Socket("127.0.0.1", server.port()));
                }
                Thread.sleep(300); // accepted
                assertThrows(HttpTimeoutException.class, () -> http.get("/ping", Duration.ofMillis(500)));
                idle.remove(0).close();
                assertEquals(200, http.get("/ping", Duration.ofSeconds(5)).status(), "accepted once one is closed");
            } finally {
                for (Socket socket : idle) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void aBurstOfLargeImagesGets503sWithinTheImageMemoryAndTheServerStillPredicts() throws Exception {
        byte[] large = Http.blankPng(6300, 6300, 16, 6); // 39.7 M pixels, under --max-pixels; 318 MB decoded
        ServeLimits limits = ServeLimits.DEFAULT.withImageMemory(400L << 20, 120_000); // room for one at a time
        try (TlbServer server = serve(limits)) {
            Http http = new Http(server.port());
            List<Http.Answer> answers = ServeApiTest.parallelAnswers(12, i -> http.post(PREDICT, "image/png", large));
            long refused = answers.stream().filter(a -> a.status() == 503).count();
            for (Http.Answer answer : answers) {
                if (answer.status() == 503) {
                    assertError(answer, 503, "ServiceUnavailableException");
                    assertTrue(answer.json().get("message").asText().contains("--image-memory-mb"), answer.body());
                } else {
                    assertEquals(200, answer.status(), answer.body());
                }
            }
            assertTrue(refused >= 1 && refused < 12, refused + " of 12 refused");
            assertEquals(200, http.post(PREDICT, "image/png", Http.png(Http.image(32, 1))).status(), "still predicts");
            assertEquals(200, http.get("/ping").status());
        }
        try (TlbServer small = serve(ServeLimits.DEFAULT.withImageMemory(10L << 20, 10_000))) {
            Http.Answer tooLarge = new Http(small.port()).post(PREDICT, "image/png", Http.blankPng(2000, 2000, 16, 6));
            assertError(tooLarge, 413, "PayloadTooLargeException"); // 32 MB decoded can never fit in 10 MB
            assertTrue(tooLarge.json().get("message").asText().contains("--image-memory-mb"), tooLarge.body());
        }
    }

    @Test
    void anImageThatDecodesTooSlowlyGets503AtTheDecodeTimeout() throws Exception {
        byte[] oneRow = Http.blankPng(39_000_000, 1, 8, 2); // seconds of decoding in a single row
        try (TlbServer server = serve(ServeLimits.DEFAULT.withImageMemory(1L << 30, 200))) {
            Http.Answer answer = new Http(server.port()).post(PREDICT, "image/png", oneRow);
            assertError(answer, 503, "ServiceUnavailableException");
            assertTrue(answer.json().get("message").asText().contains("--decode-timeout"), answer.body());
        }
    }

    @Test
    void aModelWhoseWorkersStoppedMakesPingUnhealthy() throws Exception {
        try (TlbServer server = serve(ServeLimits.DEFAULT.withWorkers(1))) {
            Http http = new Http(server.port());
            assertEquals(200, http.post(PREDICT, "image/png", Http.png(Http.image(32, 1))).status());
            assertEquals(200, http.get("/ping").status());
            for (Thread thread : Thread.getAllStackTraces().keySet()) {
                if (thread.getName().equals("batcher-" + RUN + "-0")) {
                    thread.interrupt(); // as if it had died
                    thread.join(10_000);
                }
            }
            Http.Answer ping = http.get("/ping");
            assertEquals(503, ping.status(), ping.body());
            assertTrue(ping.json().get("message").asText().contains(RUN), ping.body());
        }
    }

    @Test
    void attentionRequestsWaitInTheQueueWithTheRequestTimeout() throws Exception {
        // room for all 60 in the queues: only the time limit can refuse them
        ServeLimits limits = ServeLimits.DEFAULT.withBatching(64, 5).withQueue(64, 150);
        try (TlbServer server = serve(limits)) {
            Http http = new Http(server.port());
            byte[] png = Http.png(Http.image(32, 1));
            assertEquals(200, http.post(PREDICT, "image/png", png).status()); // loaded
            List<Http.Answer> answers = ServeApiTest.parallelAnswers(60,
                    i -> http.post(PREDICT + "?attention=true", "image/png", png));
            long lateForAttention = 0;
            for (Http.Answer answer : answers) {
                if (answer.status() == 503) {
                    assertError(answer, 503, "ServiceUnavailableException");
                    lateForAttention += answer.json().get("message").asText().startsWith("no attention map within") ? 1 : 0;
                } else {
                    assertEquals(200, answer.status(), answer.body());
                    assertTrue(answer.json().has("attention"));
                }
            }
            assertTrue(lateForAttention > 0, "60 attention maps, one at a time, cannot all come within 150 ms");
        }
    }

    @Test
    void brokenMultipartBodiesGet4xxAndOneLogLine() throws Exception {
        String boundary = "b0undary";
        String type = "multipart/form-data; boundary=" + boundary;
        StringBuilder manyParts = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            manyParts.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"f").append(i)
                    .append("\"\r\n\r\nx\r\n");
        }
        manyParts.append("--").append(boundary).append("--\r\n");
        StringBuilder manyFiles = new StringBuilder();
        for (int i = 0; i < 2_000; i++) {
            manyFiles.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"f").append(i)
                    .append("\"; filename=\"f").append(i).append(".png\"\r\nContent-Type: image/png\r\n\r\nx\r\n");
        }
        manyFiles.append("--").append(boundary).append("--\r\n");
        String unclosed = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"data\"; filename=\"a.png\"\r\n"
                + "Content-Type: image/png\r\n\r\nxxxx\r\n";
        PrintStream stderr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<Http.Answer> answers = new ArrayList<>();
        try (TlbServer server = serve(ServeLimits.DEFAULT)) {
            Http http = new Http(server.port());
            System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
            answers.add(http.post(PREDICT, type, manyParts.toString().getBytes(StandardCharsets.US_ASCII)));
            answers.add(http.post(PREDICT, type, manyFiles.toString().getBytes(StandardCharsets.US_ASCII)));
            answers.add(http.post(PREDICT, type, unclosed.getBytes(StandardCharsets.US_ASCII)));
            answers.add(http.post(PREDICT, "multipart/form-data", unclosed.getBytes(StandardCharsets.US_ASCII)));
        } finally {
            System.setErr(stderr);
        }
        for (Http.Answer answer : answers) {
            assertTrue(answer.status() == 400 || answer.status() == 413, answer.toString());
            assertFalse(answer.json().get("message").asText().isBlank(), answer.body());
        }
        String text = log.toString(StandardCharsets.UTF_8);
        assertFalse(text.contains("\tat "), "no stack trace: " + text);
        assertTrue(text.lines().count() <= answers.size(), "one line each at most: " + text);
    }

    @Test
    void predictionsAnswer405ToOtherMethodsAndErrorsNameTheServerOptions() throws Exception {
        try (TlbServer server = serve(ServeLimits.DEFAULT)) {
            Http http = new Http(server.port());
            for (String method : new String[] {"GET", "PUT", "DELETE"}) {
                assertError(http.send(method, PREDICT), 405, "MethodNotAllowedException");
            }
            Http.Answer huge = http.post(PREDICT, "image/png", ServeApiTest.hugePngHeader(30_000, 30_000));
            assertError(huge, 413, "PayloadTooLargeException");
            assertTrue(huge.json().get("message").asText().contains("--max-pixels"), huge.body());
        }
    }
}
