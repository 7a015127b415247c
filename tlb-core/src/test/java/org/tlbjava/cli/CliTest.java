package org.tlbjava.cli;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.DataLocator;
import org.tlbjava.data.ImageSet;
import org.tlbjava.explain.AttentionImages;
import org.tlbjava.explain.Prediction;
import org.tlbjava.explain.TlbClassifier;
import org.tlbjava.model.TlbModel;
import org.tlbjava.testing.Synthetic;
import org.tlbjava.train.DataParallel;
import org.tlbjava.train.Evaluation;
import org.tlbjava.train.RunDirectory;

/** The tlb command end to end on a model trained for one short epoch on synthetic data. */
class CliTest {
    @TempDir
    static Path tmp;

    static Path data;
    static Path run;

    record Result(int code, String out, String err) {
        JsonNode json() throws Exception {
            String[] lines = out.strip().split("\n");
            return new ObjectMapper().readTree(lines[lines.length - 1]);
        }
    }

    /** The command line of a child JVM running tlb, for tests that kill it. */
    static List<String> javaCommand(String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /** Epochs recorded in the run's history.json; 0 before the first. */
    static int epochsDone(Path run) throws Exception {
        Path history = run.resolve("history.json");
        return Files.exists(history) ? new ObjectMapper().readTree(history.toFile()).size() : 0;
    }

    /**
     * SIGKILLs a training child and checks that the kill landed mid-run: the child was still
     * running (it did not exit on its own first) and fewer than {@code epochs} epochs are done.
     */
    static void killMidRun(Process child, Path run, int epochs) throws Exception {
        assertTrue(child.isAlive(), "the run ended (exit " + (child.isAlive() ? "" : child.exitValue()) + ") before the kill");
        child.destroyForcibly();
        assertEquals(137, child.waitFor(), "killed by SIGKILL (128 + 9), not ended on its own");
        int done = epochsDone(run);
        assertTrue(done < epochs, done + " of " + epochs + " epochs were done when the kill landed");
    }

    static Result tlb(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.execute(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static String[] smallTrain(Path out, int epochs, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--data", data.toString(), "--set", "train_slice=240",
                "--batch-size", "32", "--lr", "0.001", "--epochs", Integer.toString(epochs), "--out", out.toString()));
        args.addAll(List.of(extra));
        return args.toArray(new String[0]);
    }

    @BeforeAll
    static void trainOneEpoch() throws Exception {
        data = tmp.resolve("data");
        Synthetic.cifarDir(data, 60, true);
        run = tmp.resolve("run");
        Result r = tlb(smallTrain(run, 1));
        assertEquals(0, r.code(), r.out() + r.err());
    }

    @Test
    void helpListsEverySubcommand() {
        Result r = tlb("--help");
        assertEquals(0, r.code());
        for (String command : new String[] {"data", "summary", "train", "evaluate", "predict", "attention", "bench"}) {
            assertTrue(r.out().contains("  " + command + " "), command + " in\n" + r.out());
            assertEquals(0, tlb(command, "--help").code(), command + " --help");
        }
    }

    @Test
    void dataAndSummaryEndWithJson() throws Exception {
        JsonNode d = tlb("data", "--data", data.toString(), "--set", "train_slice=240", "--json").json();
        assertEquals(240, d.get("train").asInt());
        assertEquals(60, d.get("val").asInt());
        assertEquals(60, d.get("test").asInt());
        assertEquals(10, d.get("classes").size());
        JsonNode s = tlb("summary", "--json").json();
        assertEquals(415_882, s.get("total_params").asLong());
        assertEquals(402_752, s.get("blocks").get("rnn").asLong());
    }

    @Test
    void benchMeasuresEveryPhaseAndBreaksATrainingPassDown() throws Exception {
        Result r = tlb("bench", "--data", data.toString(), "--set", "train_slice=240", "--set", "embed_dim=16",
                "--set", "key_dim=16", "--batch-size", "16", "--steps", "1", "--breakdown", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        for (String key : new String[] {"train_images_per_sec", "infer_images_per_sec", "data_images_per_sec",
            "peak_rss_mb", "batch_size", "threads", "workers"}) {
            assertTrue(j.path(key).asDouble() > 0, key + " in " + j);
        }
        JsonNode parts = j.get("breakdown_ms");
        for (String part : new String[] {"patch embedding", "attention: self", "attention: cross", "feed-forward",
            "whole pass", "optimizer update", "data per batch"}) {
            assertTrue(parts.path(part).asDouble() > 0, part + " in " + parts);
        }
        assertTrue(r.out().contains("glue (whole pass - parts)"), r.out());
    }

    /**
     * kernels=auto records the path its probe chose in the run's config.json, so a resumed run
     * keeps to it; asking for the fused kernels in a JVM without the Vector API module is one
     * clear error before any run directory exists.
     */
    @Test
    void kernelsAutoRecordsItsChoiceAndFusedNeedsTheVectorModule() throws Exception {
        Path auto = tmp.resolve("auto-run");
        Result r = tlb(smallTrain(auto, 1, "--set", "kernels=auto"));
        assertEquals(0, r.code(), r.err());
        String recorded = new ObjectMapper().readTree(auto.resolve("config.json").toFile()).get("kernels").asText();
        assertTrue(recorded.equals("fused") || recorded.equals("eager"), recorded);
        assertTrue((r.out() + r.err()).contains("Kernels: " + recorded + " (kernels=auto: a 32-image training pass on each of"),
                r.out() + r.err());
        Path fused = tmp.resolve("fused-run");
        Process child = new ProcessBuilder(javaCommand(smallTrain(fused, 1, "--set", "kernels=fused")))
                .redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertNotEquals(0, child.waitFor(), output);
        assertTrue(output.contains("kernels=fused needs the JVM option --add-modules jdk.incubator.vector"), output);
        assertFalse(output.contains("\tat "), "no stack trace: " + output);
        assertFalse(Files.exists(fused), "no run directory is left behind");
    }

    @Test
    void badInputGivesOneClearErrorAndNoRunDirectory() {
        Path out = tmp.resolve("bad-run");
        Result unknownKey = tlb(smallTrain(out, 1, "--set", "epoch=3"));
        assertNotEquals(0, unknownKey.code());
        assertTrue(unknownKey.err().contains("unknown config key 'epoch'"), unknownKey.err());
        assertFalse(unknownKey.err().contains("\tat "), "no stack trace");
        Result badValue = tlb(smallTrain(out, 1, "--set", "patch_size=5"));
        assertNotEquals(0, badValue.code());
        assertTrue(badValue.err().contains("patch_size"), badValue.err());
        assertFalse(Files.exists(out), "no run directory is left behind");
        Result badOption = tlb("train", "--epochz", "3");
        assertEquals(2, badOption.code());
        assertTrue(badOption.err().contains("--epochz"), badOption.err());
        Result truncated = tlb("data", "--data", tmp.resolve("nowhere/cifar-10-binary.tar.gz").toString());
        assertNotEquals(0, truncated.code());
    }

    /**
     * {@code tlb evaluate --json > out.txt} on a terminal: the output file holds no bar, and the
     * bar is still redrawn in place on the terminal (standard error), as `script` gives it one.
     */
    @Test
    void aRedirectedJsonRunStillDrawsItsBarOnTheTerminal() throws Exception {
        Path out = tmp.resolve("redirected.txt");
        List<String> command = new ArrayList<>();
        for (String word : javaCommand("evaluate", "--model", run.toString(), "--data", data.toString(), "--json")) {
            command.add("'" + word.replace("'", "'\\''") + "'");
        }
        ProcessBuilder builder = new ProcessBuilder("script", "-qec", String.join(" ", command) + " > '" + out + "'",
                "/dev/null").redirectErrorStream(true);
        builder.environment().put("TERM", "xterm");
        Process child = builder.start();
        String terminal = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, child.waitFor(), terminal);
        // redrawn in place: a carriage return before the bar and an erase to the end of the line after it
        assertTrue(terminal.contains("\r1/1 \u2501") && terminal.contains("\u001b[K"), "the bar, redrawn: " + terminal);
        String written = Files.readString(out);
        assertFalse(written.contains("\u2501") || written.contains("\r"), written);
        assertTrue(written.strip().endsWith("}"), written);
    }

    @Test
    void evaluateReportsAConsistentConfusionMatrix() throws Exception {
        Result r = tlb("evaluate", "--model", run.toString(), "--data", data.toString(), "--split", "test", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        long total = 0;
        long diagonal = 0;
        JsonNode confusion = j.get("confusion");
        for (int t = 0; t < 10; t++) {
            for (int p = 0; p < 10; p++) {
                total += confusion.get(t).get(p).asLong();
            }
            diagonal += confusion.get(t).get(t).asLong();
        }
        assertEquals(60, total);
        assertEquals((double) diagonal / total, j.get("accuracy").asDouble(), 1e-9);
        assertEquals(10, j.get("per_class").size());
        for (int t = 0; t < 10; t++) {
            long row = 0;
            for (JsonNode count : confusion.get(t)) {
                row += count.asLong();
            }
            String name = j.get("classes").get(t).asText();
            if (row == 0) {
                assertTrue(j.get("per_class").get(name).isNull(), name + " has no images, so no accuracy");
            } else {
                assertEquals(confusion.get(t).get(t).asDouble() / row, j.get("per_class").get(name).asDouble(), 1e-12, name);
            }
        }
        assertTrue(Files.size(run.resolve("confusion.png")) > 0);
    }

    @Test
    void predictAgreesWithEvaluateAndReportsBadFiles() throws Exception {
        RunConfig config = RunConfig.defaults().with("train_slice=240");
        ImageSet val = new DataLocator().load(data.toString(), config).val();
        List<String> args = new ArrayList<>(List.of("predict", "--model", run.toString(), "--top", "2", "--json"));
        for (int i = 0; i < 5; i++) {
            Path png = tmp.resolve("val-" + i + ".png");
            ImageIO.write(AttentionImages.image(toFloats(val, i), 0, 32), "png", png.toFile());
            args.add(png.toString());
        }
        Path broken = tmp.resolve("broken.jpg");
        Files.writeString(broken, "not a jpeg");
        args.add(args.size() - 2, broken.toString());
        Result r = tlb(args.toArray(new String[0]));
        assertEquals(1, r.code(), "a failed file makes the exit code non-zero");
        assertTrue(r.err().contains("broken.jpg"), r.err());
        JsonNode j = r.json();
        assertEquals(1, j.get("failed").asInt());
        // What evaluation predicts for the same images: its own loader, transform and data-parallel workers.
        RunDirectory runDir = new RunDirectory(run);
        List<String> classes = runDir.readClasses();
        int[] evaluated;
        try (NDManager manager = NDManager.newBaseManager()) {
            TlbModel model = runDir.loadModel(manager);
            try (DataParallel workers = new DataParallel(model, manager, 2)) {
                evaluated = Evaluation.run(workers, manager, val, 16, false, done -> { }).predictions();
            }
        }
        int compared = 0;
        for (JsonNode p : j.get("predictions")) {
            if (p.has("error")) {
                continue;
            }
            int i = Integer.parseInt(p.get("file").asText().replaceAll(".*val-(\\d+)\\.png", "$1"));
            assertEquals(classes.get(evaluated[i]), p.get("top").get(0).get("class").asText(), "image " + i);
            compared++;
        }
        assertEquals(5, compared);
    }

    private static float[] toFloats(ImageSet set, int i) {
        float[] out = new float[3 * 32 * 32];
        for (int k = 0; k < out.length; k++) {
            out[k] = (set.pixels()[set.offset(i) + k] & 0xff) / 255f;
        }
        return out;
    }

    @Test
    void attentionWritesOnePngPerImageAndAGrid() throws Exception {
        Path out = tmp.resolve("attention");
        Result r = tlb("attention", "--model", run.toString(), "--data", data.toString(), "--index", "0", "--index", "7",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        BufferedImage a = ImageIO.read(out.resolve("val-00000.png").toFile());
        BufferedImage b = ImageIO.read(out.resolve("val-00007.png").toFile());
        assertEquals(2 * 48 * 4 + 8, a.getWidth());
        assertEquals(48 * 4 + 2 * 16 + 22, a.getHeight()); // the pair under its title and captions, then the colour scale
        assertFalse(java.util.Arrays.equals(a.getRGB(0, 0, a.getWidth(), a.getHeight(), null, 0, a.getWidth()),
                b.getRGB(0, 0, b.getWidth(), b.getHeight(), null, 0, b.getWidth())));
        assertTrue(Files.size(out.resolve("grid.png")) > 0);
        Result outside = tlb("attention", "--model", run.toString(), "--data", data.toString(), "--index", "600");
        assertNotEquals(0, outside.code());
        assertTrue(outside.err().contains("--index 600"), outside.err());
    }

    /** The Java API exactly as docs/JAVA_API.md shows it, giving what {@code tlb predict} prints for the same file. */
    @Test
    void javaApiAsDocumented() throws Exception {
        java.io.File file = tmp.resolve("val-0.png").toFile().exists() ? tmp.resolve("val-0.png").toFile() : writeSample();
        BufferedImage image = ImageIO.read(file);
        try (TlbClassifier classifier = TlbClassifier.load(run)) {
            Prediction p = classifier.predict(image);
            String label = p.className();
            float[][] heat = classifier.attention(image);
            assertEquals(48, heat.length);
            assertEquals(48, heat[0].length);
            JsonNode top = tlb("predict", "--model", run.toString(), "--top", "10", "--json", file.toString()).json()
                    .get("predictions").get(0).get("top");
            assertEquals(label, top.get(0).get("class").asText());
            assertEquals(10, top.size());
            for (JsonNode t : top) {
                int c = classifier.classes().indexOf(t.get("class").asText());
                assertEquals(t.get("probability").asDouble(), p.probabilities()[c], 1e-6, t.toString());
            }
        }
    }

    private static java.io.File writeSample() throws Exception {
        Path png = tmp.resolve("sample.png");
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        img.setRGB(3, 3, 0xff0000);
        ImageIO.write(img, "png", png.toFile());
        return png.toFile();
    }

    @Test
    void loadingRejectsIncompleteCorruptOrMismatchedRuns() throws Exception {
        Path copy = Files.createDirectories(tmp.resolve("copy"));
        for (String f : new String[] {"config.json", "classes.json", "model.params"}) {
            Files.copy(run.resolve(f), copy.resolve(f));
        }
        Files.write(copy.resolve("model.params"), java.util.Arrays.copyOf(Files.readAllBytes(run.resolve("model.params")), 5000));
        Result corrupt = tlb("predict", "--model", copy.toString(), tmp.resolve("x.png").toString());
        assertNotEquals(0, corrupt.code());
        assertTrue(corrupt.err().contains("model.params"), corrupt.err());
        Files.copy(run.resolve("model.params"), copy.resolve("model.params"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(copy.resolve("config.json"),
                Files.readString(run.resolve("config.json")).replace("\"embed_dim\" : 64", "\"embed_dim\" : 32")
                        .replace("\"key_dim\" : 64", "\"key_dim\" : 32"));
        Result mismatch = tlb("evaluate", "--model", copy.toString(), "--data", data.toString());
        assertNotEquals(0, mismatch.code());
        assertTrue(mismatch.err().contains("another model configuration"), mismatch.err());
        Files.delete(copy.resolve("model.params"));
        Result missing = tlb("evaluate", "--model", copy.toString(), "--data", data.toString());
        assertTrue(missing.err().contains("no model.params"), missing.err());
    }

    /**
     * A training JVM killed with SIGKILL in the middle of epoch 2 (half of epoch 1's time after
     * epoch 1 is recorded) leaves a run that resumes to the full history.
     */
    @Test
    void aKilledRunResumes() throws Exception {
        Path killed = tmp.resolve("killed");
        Process child = new ProcessBuilder(javaCommand(smallTrain(killed, 3))).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("child.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (epochsDone(killed) == 0 && System.nanoTime() < deadline && child.isAlive()) {
            Thread.sleep(20);
        }
        assertTrue(epochsDone(killed) > 0, "epoch 1 never ended: " + Files.readString(tmp.resolve("child.log")));
        JsonNode first = new ObjectMapper().readTree(killed.resolve("history.json").toFile()).get(0);
        Thread.sleep((long) (500 * first.get("seconds").asDouble()));
        killMidRun(child, killed, 3);
        Result resumed = tlb("train", "--resume", killed.toString(), "--data", data.toString());
        assertEquals(0, resumed.code(), resumed.err() + Files.readString(tmp.resolve("child.log")));
        JsonNode history = new ObjectMapper().readTree(killed.resolve("history.json").toFile());
        assertEquals(3, history.size());
        Result refused = tlb("train", "--resume", killed.toString(), "--lr", "0.1");
        assertNotEquals(0, refused.code());
        assertTrue(refused.err().contains("--lr"), refused.err());
    }
}
