package org.tlbjava.explain;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.testing.ClassifyOne;
import org.tlbjava.testing.TrainedRuns;

/**
 * The Java API says nothing on stderr by default (no engine INFO lines, no CUDA warnings on a CPU
 * machine) and leaves nothing in the temporary directory.
 */
class QuietLibraryTest {
    @TempDir
    Path tmp;

    @Test
    void aProgramUsingTheLibraryPrintsOnlyWhatItPrints() throws Exception {
        assertEquals("", classifyOne("pytorch", tmp), "nothing on stderr");
    }

    @Test
    void onnxRuntimeLeavesNoDirectoryInTemp() throws Exception {
        Path temp = Files.createDirectories(tmp.resolve("java.io.tmpdir"));
        classifyOne("onnx", temp);
        try (Stream<Path> left = Files.list(temp)) {
            assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith("onnxruntime-java")).toList());
        }
    }

    /** Runs ClassifyOne with {@code engine} in a fresh JVM whose temporary directory is {@code temp}; returns its stderr. */
    private static String classifyOne(String engine, Path temp) throws Exception {
        Path run = TrainedRuns.runsDir().resolve(TrainedRuns.RUN);
        // a fresh JVM without the test run's logging properties, as a user's program starts
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Dai.djl.offline=true", "-Djava.awt.headless=true",
                "-Djava.io.tmpdir=" + temp, ClassifyOne.class.getName(), run.toString(), engine)).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the program ends");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), err);
        assertFalse(out.isBlank(), "a class name");
        return err;
    }
}
