package org.tlbjava.serve;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tlbjava.explain.Prediction;
import org.tlbjava.explain.TlbClassifier;
import org.tlbjava.testing.TrainedRuns;

/** The HTTP API over real HTTP on 127.0.0.1: answers, batching, and hostile requests. */
class ServeApiTest {
    private static final String RUN = TrainedRuns.RUN;
    private static Path runs;
    private static TlbServer server;
    private static Http http;

    @BeforeAll
    static void start() throws Exception {
        runs = TrainedRuns.runsDir();
        ServeLimits limits = ServeLimits.DEFAULT.withBatching(16, 20);
        server = new TlbServer(new ModelRegistry(runs, List.of(), limits), limits).start("127.0.0.1", 0);
        http = new Http(server.port());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static void assertError(Http.Answer answer, int code, String type) {
        assertEquals(code, answer.status(), answer.body());
        assertTrue(answer.contentType().startsWith("application/json"), answer.contentType());
        JsonNode json = answer.json();
        assertEquals(code, json.get("code").asInt(), answer.body());
        assertEquals(type, json.get("type").asText(), answer.body());
        assertFalse(json.get("message").asText().isBlank());
    }

    @Test
    void pingAndModels() throws Exception {
        assertEquals("healthy!", http.get("/ping").json().get("health").asText());
        JsonNode models = http.get("/models").json().get("models");
        assertEquals(1, models.size(), models.toString());
        JsonNode tiny = models.get(0);
        assertEquals(RUN, tiny.get("name").asText());
        assertEquals("keras", tiny.get("variant").asText());
        assertEquals(10, tiny.get("classes").size());
        double best = 0;
        for (JsonNode epoch : new ObjectMapper().readTree(runs.resolve(RUN).resolve("history.json").toFile())) {
            best = Math.max(best, epoch.get("val_accuracy").asDouble());
        }
        assertEquals(best, tiny.get("val_accuracy").asDouble(), 0, "the run's best val_accuracy: " + tiny);
    }

    @Test
    void predictsTopKFromARawBodyOrAnUploadWithAttention() throws Exception {
        byte[] png = Http.png(Http.image(32, 1));
        JsonNode raw = http.post("/predictions/" + RUN + "?topk=3", "image/png", png).json();
        JsonNode top = raw.get("predictions");
        assertEquals(3, top.size(), raw.toString());
        assertTrue(top.get(0).get("probability").asDouble() >= top.get(1).get("probability").asDouble());
        assertFalse(raw.has("attention"));
        JsonNode upload = http.upload("/predictions/" + RUN + "?topk=3&attention=true", "data", "image/png", png).json();
        assertEquals(top, upload.get("predictions"));
        BufferedImage attention = ImageIO.read(new ByteArrayInputStream(
                Base64.getDecoder().decode(upload.get("attention").asText())));
        assertEquals(192, attention.getWidth());
        assertEquals(10, http.post("/predictions/" + RUN, "application/octet-stream", png).json()
                .get("predictions").size() + 5, "default topk is 5");
    }

    /** The default engine, ONNX Runtime: one session. */
    @Test
    void concurrentRequestsAreBatchedAndGiveThePredictionsOfOneImageAtATime() throws Exception {
        assertBatchedAnswersMatchOneImageAtATime(ServeLimits.DEFAULT.withBatching(16, 20));
    }

    @Test
    void thePytorchEngineWithACopyPerWorkerAnswersTheSame() throws Exception {
        assertBatchedAnswersMatchOneImageAtATime(
                ServeLimits.DEFAULT.withEngine(ServeLimits.Engine.PYTORCH).withWorkers(2).withBatching(16, 20));
    }

    /**
     * On a server of its own (so no other test's requests count): 16 concurrent requests get the
     * probabilities TlbClassifier gives each image alone, and at least one forward pass took more
     * than one of them.
     */
    private static void assertBatchedAnswersMatchOneImageAtATime(ServeLimits limits) throws Exception {
        ModelRegistry models = new ModelRegistry(runs, List.of(), limits);
        try (TlbServer fresh = new TlbServer(models, limits).start("127.0.0.1", 0);
                TlbClassifier classifier = TlbClassifier.load(runs.resolve(RUN))) {
            Http client = new Http(fresh.port());
            List<BufferedImage> images = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                images.add(Http.image(32, 100 + i));
            }
            List<JsonNode> answers = parallel(images.size(), i -> client.post("/predictions/" + RUN + "?topk=10",
                    "image/png", Http.png(images.get(i))));
            for (int i = 0; i < images.size(); i++) {
                Prediction alone = classifier.predict(images.get(i));
                for (JsonNode p : answers.get(i).get("predictions")) {
                    int c = classifier.classes().indexOf(p.get("class").asText());
                    assertEquals(alone.probabilities()[c], p.get("probability").asDouble(), 1e-4, "image " + i);
                }
            }
            int largest;
            try (ServedModel.Use use = models.use(RUN)) {
                largest = use.model().batcher().largestBatch();
            }
            assertTrue(largest > 1, "the largest batch held " + largest + " image(s)");
        }
    }

    @Test
    void hostileRequestsGetAClearJsonErrorWithTheRightStatus() throws Exception {
        byte[] png = Http.png(Http.image(32, 2));
        assertError(http.post("/predictions/" + RUN, "image/png", Arrays.copyOf(png, png.length / 2)), 400,
                "BadRequestException");
        assertError(http.post("/predictions/" + RUN, "image/png", "not an image".getBytes()), 400, "BadRequestException");
        assertError(http.post("/predictions/" + RUN, "image/png", new byte[0]), 400, "BadRequestException");
        assertError(http.post("/predictions/" + RUN, "image/png", hugePngHeader(30_000, 30_000)), 413,
                "PayloadTooLargeException");
        assertError(http.postFlood("/predictions/" + RUN, 60 << 20, false), 413, "PayloadTooLargeException");
        assertError(http.postFlood("/predictions/" + RUN, 60 << 20, true), 413, "PayloadTooLargeException");
        assertError(http.post("/predictions/" + RUN, "text/plain", png), 415, "UnsupportedMediaTypeException");
        assertError(http.upload("/predictions/" + RUN, "data", "text/html", png), 415, "UnsupportedMediaTypeException");
        assertError(http.post("/predictions/" + RUN + "?topk=zero", "image/png", png), 400, "BadRequestException");
        assertError(http.post("/predictions/nothing", "image/png", png), 404, "ModelNotFoundException");
        for (String name : new String[] {"..", "..%2F..%2Fetc%2Fpasswd", "%2E%2E", "..%5Cruns", "tiny%2F..%2F..%2Ftiny"}) {
            Http.Answer answer = http.post("/predictions/" + name, "image/png", png);
            assertTrue(answer.status() == 400 || answer.status() == 404, name + ": " + answer);
            assertTrue(answer.json().has("type"), name + ": " + answer);
        }
        assertError(http.get("/api/runs/..%2F" + RUN), 404, "ModelNotFoundException");
        assertError(http.get("/no/such/page"), 404, "ModelNotFoundException");
    }

    @Test
    void twoHundredConcurrentRequestsWithBadOnesMixedIn() throws Exception {
        byte[] good = Http.png(Http.image(32, 3));
        byte[] truncated = Arrays.copyOf(good, good.length - 40);
        String expected = http.post("/predictions/" + RUN, "image/png", good).json().get("predictions").get(0)
                .get("class").asText();
        List<Http.Answer> answers = parallelAnswers(200, i -> i % 5 == 0
                ? http.post("/predictions/" + RUN, "image/png", truncated)
                : i % 7 == 0 ? http.post("/predictions/" + RUN, "text/plain", good)
                : http.post("/predictions/" + RUN, "image/png", good));
        for (int i = 0; i < answers.size(); i++) {
            Http.Answer a = answers.get(i);
            if (i % 5 == 0) {
                assertError(a, 400, "BadRequestException");
            } else if (i % 7 == 0) {
                assertError(a, 415, "UnsupportedMediaTypeException");
            } else {
                assertEquals(200, a.status(), a.body());
                assertEquals(expected, a.json().get("predictions").get(0).get("class").asText());
            }
        }
    }

    @Test
    void aRequestThatWaitsTooLongGets503() throws Exception {
        ServeLimits slow = ServeLimits.DEFAULT.withWorkers(1).withBatching(8, 2_000).withQueue(4, 100);
        try (TlbServer impatient = new TlbServer(new ModelRegistry(runs, List.of(), slow), slow).start("127.0.0.1", 0)) {
            Http client = new Http(impatient.port());
            assertError(client.post("/predictions/" + RUN, "image/png", Http.png(Http.image(32, 4))), 503,
                    "ServiceUnavailableException");
        }
    }

    /** A PNG signature and header claiming width x height, with no pixel data: a decompression bomb's first bytes. */
    static byte[] hugePngHeader(int width, int height) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream data = new DataOutputStream(out);
        data.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream chunk = new DataOutputStream(ihdr);
        chunk.writeBytes("IHDR");
        chunk.writeInt(width);
        chunk.writeInt(height);
        chunk.write(new byte[] {8, 2, 0, 0, 0});
        CRC32 crc = new CRC32();
        crc.update(ihdr.toByteArray());
        data.writeInt(13);
        data.write(ihdr.toByteArray());
        data.writeInt((int) crc.getValue());
        return out.toByteArray();
    }

    interface Call {
        Http.Answer call(int i) throws Exception;
    }

    static List<Http.Answer> parallelAnswers(int n, Call call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Http.Answer>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                futures.add(pool.submit(() -> call.call(index)));
            }
            List<Http.Answer> answers = new ArrayList<>();
            for (Future<Http.Answer> f : futures) {
                answers.add(f.get());
            }
            return answers;
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<JsonNode> parallel(int n, Call call) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (Http.Answer a : parallelAnswers(n, call)) {
            assertEquals(200, a.status(), a.body());
            out.add(a.json());
        }
        return out;
    }
}
