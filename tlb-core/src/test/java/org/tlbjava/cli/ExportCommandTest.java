package org.tlbjava.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.tlbjava.cli.CliTest.tlb;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.config.RunConfig;
import org.tlbjava.export.OnnxFixtures;
import org.tlbjava.export.proto.Onnx.ModelProto;
import org.tlbjava.export.proto.Onnx.ValueInfoProto;
import org.tlbjava.testing.Synthetic;

/** {@code tlb export}: its options, and a bad run directory gives one clear error and no file. */
class ExportCommandTest {
    @TempDir
    static Path tmp;

    static Path run;

    @BeforeAll
    static void smallRun() throws Exception {
        run = OnnxFixtures.run(tmp.resolve("run"), OnnxFixtures.config("embed_dim=32", "key_dim=32", "num_layers=2"));
    }

    @Test
    void exportsAFixedBatchWithAttentionMaps() throws Exception {
        Path file = tmp.resolve("out/fixed.onnx");
        CliTest.Result r = tlb("export", "--model", run.toString(), "--out", file.toString(), "--batch", "4",
                "--attention", "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals(Files.size(file), r.json().get("bytes").asLong());
        ModelProto model = ModelProto.parseFrom(Files.readAllBytes(file));
        assertEquals(4, model.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0).getDimValue());
        assertEquals(List.of("probabilities", "attention"),
                model.getGraph().getOutputList().stream().map(ValueInfoProto::getName).toList());
        RunConfig config = OnnxFixtures.config();
        int side = config.data().inputSide();
        int image = config.model().imageSize();
        int classes = config.model().numClasses();
        assertTrue(r.out().contains("opset 18"), r.out());
        assertTrue(r.out().contains("input   images         uint8   [4, 3, " + side + ", " + side + "]"), r.out());
        assertTrue(r.out().contains("output  probabilities  float32 [4, " + classes + "]"), r.out());
        assertTrue(r.out().contains("output  attention      float32 [4, " + image + ", " + image + "]"), r.out());
        assertEquals(Json.line(List.of(Synthetic.CLASSES)), r.json().get("classes").toString());
        assertEquals("images", r.json().get("inputs").get(0).get("name").asText());
    }

    @Test
    void aDynamicBatchIsShownByItsSymbolicName() throws Exception {
        CliTest.Result r = tlb("export", "--model", run.toString(), "--out", tmp.resolve("out/dynamic.onnx").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("output  probabilities  float32 [batch, " + OnnxFixtures.config().model().numClasses() + "]"), r.out());
        assertTrue(r.out().contains("classes " + String.join(", ", Synthetic.CLASSES)), r.out());
    }

    @Test
    void writesBesideTheRunByDefault() throws Exception {
        Path copy = copyOfRun("default");
        assertEquals(0, tlb("export", "--model", copy.toString()).code());
        assertTrue(Files.isRegularFile(copy.resolve("model.onnx")));
    }

    @Test
    void truncatedWeightsGiveAClearErrorAndNoFile() throws Exception {
        Path copy = copyOfRun("truncated");
        Path params = copy.resolve("model.params");
        byte[] bytes = Files.readAllBytes(params);
        Files.write(params, Arrays.copyOf(bytes, bytes.length / 2));
        assertFailsWithoutFile(copy, "model.params");
    }

    @Test
    void missingWeightsGiveAClearErrorAndNoFile() throws Exception {
        Path copy = copyOfRun("incomplete");
        Files.delete(copy.resolve("model.params"));
        assertFailsWithoutFile(copy, "incomplete");
    }

    @Test
    void corruptConfigGivesAClearErrorAndNoFile() throws Exception {
        Path copy = copyOfRun("config");
        Files.writeString(copy.resolve("config.json"), "{\"embed_dim\": ");
        assertFailsWithoutFile(copy, "config.json");
    }

    @Test
    void badOptionsAreUsageErrors() {
        CliTest.Result batch = tlb("export", "--model", run.toString(), "--batch", "0");
        assertEquals(2, batch.code());
        assertTrue(batch.err().contains("--batch must be a positive number or dynamic"), batch.err());
        CliTest.Result format = tlb("export", "--model", run.toString(), "--format", "tflite");
        assertEquals(2, format.code());
        assertTrue(format.err().contains("the only format is onnx"), format.err());
    }

    @Test
    void theRunsOwnFilesAreNeverAnOutput() throws Exception {
        Path copy = copyOfRun("own");
        for (String name : List.of("model.params", "config.json", "classes.json")) {
            byte[] before = Files.readAllBytes(copy.resolve(name));
            CliTest.Result r = tlb("export", "--model", copy.toString(), "--out", copy.resolve(name).toString());
            assertEquals(2, r.code(), name + ": " + r.err());
            assertTrue(r.err().contains("a file the command reads"), r.err());
            assertArrayEquals(before, Files.readAllBytes(copy.resolve(name)), name + " was changed");
        }
        CliTest.Result weights = tlb("export", "--model", copy.resolve("model.params").toString(), "--out",
                copy.resolve(".").resolve("model.params").toString());
        assertEquals(2, weights.code(), weights.err());
        CliTest.Result report = tlb("report", copy.toString(), "--out", copy.resolve("model.params").toString());
        assertEquals(2, report.code(), report.err());
        assertEquals(0, tlb("export", "--model", copy.toString(), "--out", tmp.resolve("own.onnx").toString()).code(),
                "the run still loads");
    }

    @Test
    void symlinksFifosAndDirectoriesAreNotReplaced() throws Exception {
        Path target = Files.writeString(tmp.resolve("kept.txt"), "kept");
        Path link = Files.createSymbolicLink(tmp.resolve("link.onnx"), target);
        Path fifo = tmp.resolve("fifo.onnx");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        Path dir = Files.createDirectories(tmp.resolve("dir.onnx"));
        for (Path out : List.of(link, fifo, dir)) {
            CliTest.Result r = tlb("export", "--model", run.toString(), "--out", out.toString());
            assertEquals(2, r.code(), out + ": " + r.err());
            assertTrue(r.err().contains("not a regular file"), r.err());
            CliTest.Result report = tlb("report", run.toString(), "--out", out.toString());
            assertEquals(2, report.code(), out + ": " + report.err());
        }
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("kept", Files.readString(target));
        assertTrue(Files.isDirectory(dir));
        assertFalse(Files.isRegularFile(fifo));
    }

    private static void assertFailsWithoutFile(Path runDir, String mention) throws Exception {
        Path file = tmp.resolve(runDir.getFileName() + ".onnx");
        CliTest.Result r = tlb("export", "--model", runDir.toString(), "--out", file.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("tlb: error: ") && r.err().contains(mention), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertFalse(Files.exists(file));
        try (Stream<Path> left = Files.list(tmp)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "a temporary file was left");
        }
    }

    /** The files a trained model is loaded from, in a directory of their own. */
    private static Path copyOfRun(String name) throws IOException {
        Path copy = Files.createDirectories(tmp.resolve(name));
        for (String file : List.of("config.json", "classes.json", "model.params")) {
            Files.copy(run.resolve(file), copy.resolve(file));
        }
        return copy;
    }
}
