package org.tlbjava.explain;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.tlbjava.testing.ClassifyOne;
import org.tlbjava.testing.TrainedRuns;

/** The Java API says nothing on stderr by default: no engine INFO lines, no CUDA warnings on a CPU machine. */
class QuietLibraryTest {
    @Test
    void aProgramUsingTheLibraryPrintsOnlyWhatItPrints() throws Exception {
        Path run = TrainedRuns.runsDir().resolve(TrainedRuns.RUN);
        // a fresh JVM without the test run's logging properties, as a user's program starts
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Dai.djl.offline=true", "-Djava.awt.headless=true",
                ClassifyOne.class.getName(), run.toString())).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the program ends");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), err);
        assertFalse(out.isBlank(), "a class name");
        assertEquals("", err, "nothing on stderr");
    }
}
