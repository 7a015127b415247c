package org.tlbjava.serve;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tlb serve's answers that protect what it serves: the Host check and what a 500 tells. */
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
