package org.tlbjava.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.testing.TrainedRuns;

/** tlb serve and tlb report from the command line: output files, and one clear message for bad input. */
class ServeCliTest {
    @TempDir
    Path tmp;

    private static void assertFailsClearly(CliTest.Result r, String expected) {
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains(expected), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void trainWritesAReportAndReportWritesOneWhereAsked() throws Exception {
        Path run = TrainedRuns.runsDir().resolve(TrainedRuns.RUN);
        assertTrue(Files.readString(run.resolve("report.html")).contains("id=\"run-data\""), "tlb train wrote report.html");
        Path out = tmp.resolve("shared/report.html");
        CliTest.Result r = CliTest.tlb("report", run.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        String html = Files.readString(out);
        assertTrue(html.contains("\"name\":\"" + TrainedRuns.RUN + "\"") && html.contains("data:image/png;base64,"));
        assertFalse(html.matches("(?s).*(src|href|url)[=(][\"']?(https?:)?//.*"), "nothing fetched from the network");
    }

    @Test
    void badArgumentsGiveOneMessageAndNoStackTrace() throws Exception {
        assertFailsClearly(CliTest.tlb("report", tmp.resolve("missing").toString()), "is not a directory");
        assertFailsClearly(CliTest.tlb("report", tmp.toString()), "has no config.json");
        assertFailsClearly(CliTest.tlb("serve", "--runs", tmp.resolve("missing").toString()), "is not a directory");
        assertFailsClearly(CliTest.tlb("serve", "--model", tmp.toString()), "has no config.json");
        assertFailsClearly(CliTest.tlb("serve", "--runs", tmp.toString(), "--batch-size", "0"), "must be positive");
    }

    @Test
    void badServeOptionsAreUsageErrorsThatExitWithTwo() throws Exception {
        String runs = TrainedRuns.runsDir().toString();
        String[][] cases = {{"--port", "99999"}, {"--workers", "0"}, {"--max-body-mb", "-1"}, {"--engine", "tensorrt"},
            {"--max-connections", "0"}, {"--upload-timeout", "0"}, {"--image-memory-mb", "0"}, {"--decode-timeout", "-5"}};
        for (String[] option : cases) {
            CliTest.Result r = CliTest.tlb("serve", "--runs", runs, option[0], option[1]);
            assertEquals(2, r.code(), String.join(" ", option) + ": " + r.err());
            assertTrue(r.err().contains(option[0]) && r.err().contains(option[1]), r.err());
            assertFalse(r.err().contains("ERROR") || r.err().contains("\tat "), "one message only: " + r.err());
        }
    }
}
