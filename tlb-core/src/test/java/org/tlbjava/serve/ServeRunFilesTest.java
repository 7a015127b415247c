package org.tlbjava.serve;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.cli.Main;
import org.tlbjava.explain.Prediction;
import org.tlbjava.explain.TlbClassifier;
import org.tlbjava.io.AtomicFiles;
import org.tlbjava.testing.Synthetic;
import org.tlbjava.testing.TrainedRuns;

/**
 * tlb serve over the files of its runs, on copies of the trained test run: links out of a run,
 * broken and oddly named runs, runs that are resumed, replaced or deleted while served, the Host
 * check and what a 500 tells.
 */
class ServeRunFilesTest {
    @TempDir
    static Path tmp;

    private static Path runs;
    private static ModelRegistry registry;
    private static TlbServer server;
    private static Http http;

    @BeforeAll
    static void start() throws Exception {
        runs = Files.createDirectories(tmp.resolve("runs"));
        registry = new ModelRegistry(runs, List.of(), ServeLimits.DEFAULT);
        server = new TlbServer(registry, ServeLimits.DEFAULT).start("127.0.0.1", 0);
        http = new Http(server.port());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A copy of the trained test run, checkpoint and pictures included, as {@code runs/name}. */
    private static Path copyOfTinyRun(String name) throws IOException {
        Path from = TrainedRuns.runsDir().resolve(TrainedRuns.RUN);
        Path to = runs.resolve(name);
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(from.relativize(file).toString()));
            }
        }
        return to;
    }

    private static JsonNode runNamed(JsonNode list, String name) {
        for (JsonNode run : list) {
            if (run.get("name").asText().equals(name)) {
                return run;
            }
        }
        return null;
    }

    @Test
    void runFilesAreReadOnlyInsideTheRunAndInTheirFormat() throws Exception {
        Path run = copyOfTinyRun("linked");
        Path outsidePng = Files.write(tmp.resolve("outside.png"), Http.png(Http.image(32, 9)));
        Path secret = Files.writeString(tmp.resolve("secret.txt"), "hunter2 is the password\n");
        assertEquals(200, http.get("/api/runs/linked/images/confusion").status(), "the fixture has a confusion matrix");

        Files.delete(run.resolve("confusion.png"));
        Files.createSymbolicLink(run.resolve("confusion.png"), outsidePng); // a real PNG, but not the run's
        Http.Answer image = http.get("/api/runs/linked/images/confusion");
        assertEquals(404, image.status(), image.body());
        assertTrue(image.json().get("message").asText().contains("confusion.png is a link that leads outside"), image.body());
        assertFalse(http.get("/api/runs/linked").json().get("images").has("confusion"));
        assertFalse(reportData(run).get("images").has("confusion"), "tlb report does not embed it");

        Files.delete(run.resolve("confusion.png"));
        Files.createSymbolicLink(run.resolve("confusion.png"), secret);
        assertEquals(404, http.get("/api/runs/linked/images/confusion").status());
        Files.delete(run.resolve("confusion.png"));
        Files.copy(secret, run.resolve("confusion.png"));
        Http.Answer notPng = http.get("/api/runs/linked/images/confusion");
        assertEquals(404, notPng.status());
        assertTrue(notPng.body().contains("confusion.png is not a PNG file") && !notPng.body().contains("hunter2"), notPng.body());
        Files.createDirectories(run.resolve("pictures"));
        Files.write(run.resolve("pictures/matrix.png"), Http.png(Http.image(32, 10)));
        Files.delete(run.resolve("confusion.png"));
        Files.createSymbolicLink(run.resolve("confusion.png"), Path.of("pictures/matrix.png"));
        assertEquals("image/png", http.get("/api/runs/linked/images/confusion").contentType(), "a link within the run is read");

        Files.delete(run.resolve("history.json"));
        Files.createSymbolicLink(run.resolve("history.json"), secret);
        Http.Answer page = http.get("/api/runs/linked");
        assertEquals(404, page.status(), page.body());
        assertTrue(page.body().contains("history.json is a link that leads outside the run directory"), page.body());
        JsonNode listed = runNamed(http.get("/api/runs").json(), "linked");
        assertEquals("unreadable", listed.get("state").asText(), listed.toString());
        Files.delete(run.resolve("history.json"));
        Files.writeString(run.resolve("history.json"), "hunter2 is the password\n");
        page = http.get("/api/runs/linked");
        assertTrue(page.json().get("message").asText().matches("run 'linked': history.json is not valid JSON \\(line 1, column \\d+\\)"),
                page.body());
        for (Http.Answer answer : List.of(page, http.get("/api/runs"), http.get("/models"))) {
            assertFalse(answer.body().contains("hunter2") || answer.body().contains(tmp.toString()), answer.body());
        }
    }

    /** The run data tlb report embeds in its page. */
    private static JsonNode reportData(Path run) throws Exception {
        String html = RunReport.html(new RunInfo(run.getFileName().toString(), run));
        int start = html.indexOf('>', html.indexOf("id=\"run-data\"")) + 1;
        return new ObjectMapper().readTree(html.substring(start, html.indexOf("</script>", start)));
    }

    @Test
    void aRunWithABrokenConfigIsLeftOutOfModelsAndNamed() throws Exception {
        copyOfTinyRun("good");
        Files.writeString(copyOfTinyRun("broken").resolve("config.json"), "{not json");
        Http.Answer models = http.get("/models");
        assertEquals(200, models.status(), models.body());
        assertNotNull(runNamed(models.json().get("models"), "good"), models.body());
        assertNull(runNamed(models.json().get("models"), "broken"), models.body());
        String why = runNamed(models.json().get("unreadable"), "broken").get("error").asText();
        assertTrue(why.matches("run 'broken': config.json is not valid JSON \\(line 1, column \\d+\\)"), why);
        Http.Answer predict = http.post("/predictions/broken", "image/png", Http.png(Http.image(32, 1)));
        assertEquals(404, predict.status(), predict.body());
        assertEquals(why, predict.json().get("message").asText());
        assertEquals(why, runNamed(http.get("/api/runs").json(), "broken").get("error").asText());
    }

    @Test
    void aRunDirectoryNamedWithASpaceIsServedAndAHiddenOneIsNamedInTheLog() throws Exception {
        copyOfTinyRun("my run");
        copyOfTinyRun(".old run");
        String log = stderrOf(() -> http.get("/api/runs"));
        assertNotNull(runNamed(http.get("/api/runs").json(), "my run"));
        assertTrue(log.contains("the run directory '.old run' is not served: names that start with '.'"), log);
        assertFalse(stderrOf(() -> http.get("/api/runs")).contains(".old run"), "said once");
        JsonNode page = http.get("/api/runs/my%20run").json();
        assertEquals("/api/runs/my%20run/images/confusion", page.get("images").get("confusion").asText());
        assertEquals("image/png", http.get(page.get("images").get("confusion").asText()).contentType());
        Http.Answer predicted = http.post("/predictions/my%20run", "image/png", Http.png(Http.image(32, 1)));
        assertEquals(200, predicted.status(), predicted.body());
    }

    @Test
    void theServedModelFollowsItsRunWhenResumedReplacedOrDeleted() throws Exception {
        Path run = copyOfTinyRun("live");
        BufferedImage image = Http.image(32, 5);
        Map<String, Double> before = probabilities("live", image);
        ServedModel first = heldModel("live");
        Files.setLastModifiedTime(run.resolve("model.params"), FileTime.from(Instant.now().plusSeconds(60)));
        assertSame(first, heldModel("live"), "a touched but unchanged model.params is not reloaded");

        assertEquals(0, Main.execute("train", "--resume", run.toString(), "--epochs", "3"));
        Map<String, Double> resumed = probabilities("live", image);
        assertNotEquals(before, resumed);
        try (TlbClassifier now = TlbClassifier.load(run)) {
            Prediction expected = now.predict(image);
            resumed.forEach((name, p) -> assertEquals(expected.probabilities()[now.classes().indexOf(name)], p, 1e-4, name));
        }

        Path threeClasses = tmp.resolve("three");
        assertEquals(0, Main.execute("train", "--data", Synthetic.imageFolder(tmp.resolve("photos"), 8).toString(),
                "--image-size", "32", "--epochs", "1", "--set", "embed_dim=16", "--set", "key_dim=16", "--set",
                "num_layers=1", "--set", "mixed_precision=false", "--out", threeClasses.toString()));
        AtomicFiles.deleteTree(run);
        Files.move(threeClasses, run);
        assertEquals(List.of("bird", "cat", "dog"), List.copyOf(probabilities("live", image).keySet().stream().sorted().toList()));
        assertEquals(3, runNamed(http.get("/models").json().get("models"), "live").get("classes").size());

        AtomicFiles.deleteTree(run);
        assertNull(runNamed(http.get("/models").json().get("models"), "live"));
        assertEquals(404, http.post("/predictions/live", "image/png", Http.png(image)).status());
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (batcherThreadsOf("live") > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(0, batcherThreadsOf("live"), "the deleted run's model is let go");
    }

    private static Map<String, Double> probabilities(String model, BufferedImage image) throws Exception {
        Http.Answer answer = http.post("/predictions/" + model + "?topk=10", "image/png", Http.png(image));
        assertEquals(200, answer.status(), answer.body());
        Map<String, Double> probabilities = new HashMap<>();
        answer.json().get("predictions").forEach(p -> probabilities.put(p.get("class").asText(), p.get("probability").asDouble()));
        return probabilities;
    }

    private static ServedModel heldModel(String name) {
        try (ServedModel.Use use = registry.use(name)) {
            return use.model();
        }
    }

    private static long batcherThreadsOf(String name) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("batcher-" + name + "-")).count();
    }

    @Test
    void aLoopbackServerAnswersOnlyLoopbackHostNames() throws Exception {
        int port = server.port();
        for (String path : List.of("/ping", "/models", "/api/runs", "/index.html")) {
            String[] answer = getWithHost(path, "evil.example:" + port);
            assertTrue(answer[0].contains(" 403 "), path + ": " + answer[0]);
            JsonNode error = new ObjectMapper().readTree(answer[1]);
            assertEquals("ForbiddenException", error.get("type").asText());
            assertTrue(error.get("message").asText().startsWith("Host 'evil.example:" + port + "' is not answered here"));
        }
        for (String host : List.of("localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "LOCALHOST")) {
            assertTrue(getWithHost("/index.html", host)[0].contains(" 200 "), host);
        }
    }

    @Test
    void theHostCheckAcceptsLoopbackNamesAndTheGivenHostOnly() {
        HostCheck named = new HostCheck("mybox");
        for (String host : List.of("mybox:8080", "MyBox.", "localhost:1", "127.0.1.1:8080", "[::1]", "::1")) {
            assertTrue(named.accepts(host), host);
        }
        for (String host : List.of("evil.example", "localhost.evil.example", "127.0.0.1.evil.example:80", "[::2]:80", "")) {
            assertFalse(named.accepts(host), host);
        }
        assertTrue(HostCheck.listeningOn("0.0.0.0").accepts("evil.example"), "open to the network anyway");
        assertFalse(HostCheck.listeningOn("127.0.0.1").accepts("evil.example"));
    }

    /** A GET with a Host header of our choosing, which java.net.http does not allow; returns the head and the body. */
    private static String[] getWithHost(String path, String host) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String text = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int split = text.indexOf("\r\n\r\n");
            return new String[] {text.substring(0, split), text.substring(split + 4)};
        }
    }

    @Test
    void anInternalErrorTellsTheClientAnIdAndTheLogTheDetails() throws Exception {
        Path gone = Files.createDirectories(tmp.resolve("gone"));
        try (TlbServer failing = new TlbServer(new ModelRegistry(gone, List.of(), ServeLimits.DEFAULT), ServeLimits.DEFAULT)
                .start("127.0.0.1", 0)) {
            Files.delete(gone); // listing it now fails inside the server
            Http.Answer[] answer = new Http.Answer[1];
            String log = stderrOf(() -> answer[0] = new Http(failing.port()).get("/api/runs"));
            assertEquals(500, answer[0].status(), answer[0].body());
            String message = answer[0].json().get("message").asText();
            assertTrue(message.matches("internal error [0-9a-f]{8}; the server's log has the details"), message);
            String id = message.split(" ")[2].replace(";", "");
            assertTrue(log.contains("(error " + id + ")") && log.contains(gone.toString()), log);
        }
    }

    /** What the server logs (slf4j-simple writes to System.err as it is at the time) while {@code action} runs. */
    private static String stderrOf(Callable<?> action) throws Exception {
        PrintStream old = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.call();
        } finally {
            System.setErr(old);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
