package org.tlbjava.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.tlbjava.cli.CliTest.javaCommand;
import static org.tlbjava.cli.CliTest.killMidRun;
import static org.tlbjava.cli.CliTest.tlb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.cli.CliTest.Result;
import org.tlbjava.testing.Synthetic;

/** The faults of a hostile trial (issue 10), each kept fixed: one clear message, the right exit code, no damage. */
class FaultsTest {
    @TempDir
    static Path tmp;

    static Path data;
    static Path otherData;
    /** A run trained for one epoch of a tiny model, in-process and uninterrupted. */
    static Path run;
    /** Epochs of the run that is killed again and again. */
    private static final int EPOCHS = 5;

    static List<String> tinyTrain(Path data, Path out, int epochs) {
        return new ArrayList<>(List.of("train", "--data", data.toString(), "--set", "train_slice=240",
                "--set", "embed_dim=16", "--set", "key_dim=16", "--set", "num_layers=2", "--set", "image_size=16",
                "--set", "workers=2", "--batch-size", "32", "--lr", "0.001", "--epochs", Integer.toString(epochs),
                "--out", out.toString()));
    }

    @BeforeAll
    static void trainOneEpoch() throws Exception {
        data = tmp.resolve("data");
        Synthetic.cifarDir(data, 60, false);
        otherData = tmp.resolve("other");
        Path other = Synthetic.cifarDir(otherData, 60, false);
        Files.write(other.resolve("data_batch_1.bin"), Synthetic.batch(60, 1234));
        run = tmp.resolve("run");
        Result r = tlb(tinyTrain(data, run, 1).toArray(new String[0]));
        assertEquals(0, r.code(), r.out() + r.err());
    }

    @Test
    void usageErrorsExitWithTwoAndBadDataWithOne() {
        Result phase = tlb("bench", "--only", "foo");
        assertEquals(2, phase.code(), phase.err());
        assertTrue(phase.err().contains("unknown phase 'foo'"), phase.err());
        Result fraction = tlb("summary", "--set", "embed_dim=64.5");
        assertEquals(2, fraction.code());
        assertTrue(fraction.err().contains("bad value 64.5 for 'embed_dim': expected an integer"), fraction.err());
        Result crop = tlb("summary", "--set", "image_size=64");
        assertEquals(2, crop.code());
        assertTrue(crop.err().contains("raise resize_margin to at least 32"), crop.err());
        Result oblong = tlb("summary", "--set", "input_shape=[16,32,3]");
        assertEquals(2, oblong.code());
        assertTrue(oblong.err().contains("input_shape must be square"), oblong.err());
        Result missing = tlb("evaluate", "--model", tmp.resolve("no-such-run").toString());
        assertEquals(1, missing.code(), missing.err());
    }

    @Test
    void aConfigFileWithADuplicateKeyIsRefused() throws Exception {
        Path config = tmp.resolve("dup.json");
        Files.writeString(config, "{\"embed_dim\": 32, \"embed_dim\": 64}");
        Result r = tlb("summary", "--config", config.toString());
        assertEquals(2, r.code(), "a usage error: " + r.err());
        assertTrue(r.err().contains("dup.json: duplicate key 'embed_dim'"), r.err());
    }

    @Test
    void anImpossibleModelIsRefusedWithAPlainMessage() {
        List<String> args = tinyTrain(data, tmp.resolve("huge"), 1);
        args.addAll(List.of("--set", "embed_dim=100000"));
        Result r = tlb(args.toArray(new String[0]));
        assertEquals(1, r.code());
        assertTrue(r.err().contains("more than this machine's"), r.err());
        assertFalse(r.err().contains("internal error"), r.err());
        assertFalse(Files.exists(tmp.resolve("huge")), "no run directory is left behind");
    }

    @Test
    void outMustBeANewOrEmptyDirectory() throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Result onFile = tlb(tinyTrain(data, file, 1).toArray(new String[0]));
        assertEquals(2, onFile.code());
        assertTrue(onFile.err().contains("is a file, not a directory"), onFile.err());
        Path busy = Files.createDirectories(tmp.resolve("busy"));
        Files.writeString(busy.resolve("model.params"), "someone else's");
        Result onBusy = tlb(tinyTrain(data, busy, 1).toArray(new String[0]));
        assertEquals(2, onBusy.code());
        assertTrue(onBusy.err().contains("not a tlb run"), onBusy.err());
        assertEquals("someone else's", Files.readString(busy.resolve("model.params")));
    }

    @Test
    void resumeUsesTheRecordedDataAndRefusesOtherData() throws Exception {
        Result other = tlb("train", "--resume", run.toString(), "--epochs", "2", "--data", otherData.toString());
        assertEquals(1, other.code());
        assertTrue(other.err().contains("is not the data") && other.err().contains("--force"), other.err());
        Result finished = tlb("train", "--resume", run.toString());
        assertEquals(0, finished.code(), finished.err());
        assertTrue(finished.out().contains("has already finished 1 epochs"), finished.out());
        assertFalse(finished.out().contains("after epoch 1 of 1"), finished.out());
    }

    @Test
    void historyUsesKerasNamesEverywhere() throws Exception {
        JsonNode history = new ObjectMapper().readTree(run.resolve("history.json").toFile());
        assertTrue(history.get(0).has("val_accuracy") && history.get(0).has("learning_rate"), history.toString());
        assertFalse(history.get(0).has("valAccuracy"), history.toString());
    }

    /** Resumes the run in {@code dir}, or starts it when a kill came before it had begun. */
    private static List<String> trainOrResume(Path dir) {
        return Files.exists(dir.resolve("config.json")) ? List.of("train", "--resume", dir.toString())
                : tinyTrain(data, dir, EPOCHS);
    }

    /** libtorch's deprecation warning no longer reaches the user's terminal (native stderr, so a child JVM). */
    @Test
    void noEngineWarningIsPrinted() throws Exception {
        Process child = new ProcessBuilder(javaCommand("evaluate", "--model", run.toString(), "--data", data.toString()))
                .redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, child.waitFor(), output);
        assertTrue(output.contains("accuracy"), output);
        assertFalse(output.contains("AutoNonVariableTypeMode"), output);
    }

    /**
     * SIGKILL at random moments: a 5-epoch run killed four times, each time resumed, ends with the
     * history and weights of the same run made without interruption. Each kill falls at a random
     * moment of the first epoch's time (E, from the uninterrupted run) after the child starts
     * training, so a child finishes at most about one epoch, and is checked to have landed mid-run.
     */
    @Test
    void aRunKilledAtRandomMomentsEndsAsAnUninterruptedOne() throws Exception {
        Path straight = tmp.resolve("straight");
        assertEquals(0, tlb(tinyTrain(data, straight, EPOCHS).toArray(new String[0])).code());
        double epochSeconds = new ObjectMapper().readTree(straight.resolve("history.json").toFile()).get(0)
                .get("seconds").asDouble();
        Path killed = tmp.resolve("killed");
        Random random = new Random(7);
        for (int kill = 1; kill <= 4; kill++) {
            Path log = tmp.resolve("killed-" + kill + ".log");
            Process child = new ProcessBuilder(javaCommand(trainOrResume(killed).toArray(new String[0])))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (child.isAlive() && !Files.readString(log).contains("Recipe:") && System.nanoTime() < deadline) {
                Thread.sleep(5); // the engine is up and the epochs begin after this line
            }
            Thread.sleep((long) (random.nextDouble() * 1000 * epochSeconds));
            killMidRun(child, killed, EPOCHS);
        }
        Result last = tlb(trainOrResume(killed).toArray(new String[0]));
        assertEquals(0, last.code(), last.err());
        ObjectMapper json = new ObjectMapper();
        assertEquals(json.readTree(straight.resolve("history.json").toFile()).findValues("val_loss"),
                json.readTree(killed.resolve("history.json").toFile()).findValues("val_loss"));
        assertArrayEquals(Files.readAllBytes(straight.resolve("model.params")),
                Files.readAllBytes(killed.resolve("model.params")));
    }
}
