package org.tlbjava.serve;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.train.RunProgress;

/** What the runs list says of a run from its files alone. */
class RunInfoTest {
    @TempDir
    Path dir;

    private Object stateWithProgressOf(long pid, String host) throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"epochs\": 5}");
        Files.writeString(dir.resolve("history.json"), "[{\"epoch\":1,\"loss\":2.3,\"accuracy\":0.1,\"val_loss\":2.2,"
                + "\"val_accuracy\":0.12,\"seconds\":9,\"learning_rate\":0.001}]");
        Files.writeString(dir.resolve(RunProgress.FILE), new ObjectMapper().writeValueAsString(new RunProgress.Snapshot(
                RunProgress.TRAINING, "train", "2025-03-01T09:30:00Z", Instant.now().toString(), 60, pid, host, 2, 5, 3, 10,
                2.0, 0.2, 300)));
        return new RunInfo("run", dir).summary().get("state");
    }

    /** A run killed mid-epoch leaves "training" in its progress file; its process is gone, so it is stopped. */
    @Test
    void aRunWhoseProcessIsGoneIsStoppedAndALiveOneTraining() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        assertEquals("stopped", stateWithProgressOf(gone.pid(), RunProgress.host()));
        assertEquals("training", stateWithProgressOf(ProcessHandle.current().pid(), RunProgress.host()));
        assertEquals("training", stateWithProgressOf(gone.pid(), "another-host"), "a process elsewhere cannot be checked");
    }
}
