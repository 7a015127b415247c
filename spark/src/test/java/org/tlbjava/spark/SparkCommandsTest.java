package org.tlbjava.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.data.ImageFiles;
import org.tlbjava.explain.Prediction;
import org.tlbjava.explain.TlbClassifier;
import org.tlbjava.testing.Synthetic;
import org.tlbjava.testing.TrainedRuns;

/**
 * tlb-spark's commands on one local[2] session (bound to 127.0.0.1, no web UI), against tlb's own
 * results on the same images: the small trained run of the core tests, 500 generated PNGs.
 */
class SparkCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PER_CLASS = 50;

    @TempDir
    static Path tmp;
    static SparkSession spark;
    static Path run;
    static Path data;
    static List<Path> testImages;
    static Path corrupt;

    record Result(int code, String out, String err) {
        JsonNode json() throws Exception {
            String[] lines = out.strip().split("\n");
            return JSON.readTree(lines[lines.length - 1]);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        spark = SparkSession.builder().master("local[2]").appName("tlb-spark tests")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
        run = TrainedRuns.runsDir().resolve(TrainedRuns.RUN);
        // tlb evaluate's layout: train/ names the classes, test/ is evaluated
        data = tmp.resolve("folder");
        Synthetic.imageFolder(data.resolve("train"), 2, 1);
        testImages = Synthetic.imageFolder(data.resolve("test"), PER_CLASS, 7);
        corrupt = data.resolve("test").resolve("cat").resolve("corrupt.png");
        Files.write(corrupt, new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static Result tlbSpark(String... args) {
        return capture(() -> Main.execute(args));
    }

    static Result tlb(String... args) {
        return capture(() -> org.tlbjava.cli.Main.execute(args));
    }

    private static Result capture(java.util.function.IntSupplier command) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = command.getAsInt();
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void predictMatchesTheJavaApiAndTurnsACorruptImageIntoAnErrorRow() throws Exception {
        Path output = tmp.resolve("predictions");
        Result r = tlbSpark("predict", "--model", run.toString(), "--input", data.resolve("test").toString(),
                "--output", output.toString(), "--batch-size", "32");
        assertEquals(0, r.code(), r.err());
        Map<Path, Row> rows = new HashMap<>();
        for (Row row : spark.read().parquet(output.toString()).collectAsList()) {
            rows.put(Path.of(new URI(row.getString(row.fieldIndex("path")))), row);
        }
        assertEquals(testImages.size() + 1, rows.size());

        Row bad = rows.get(corrupt);
        assertNotNull(bad, "the corrupt file has a row");
        assertTrue(bad.getString(bad.fieldIndex("error")).contains("corrupt.png"), bad.toString());
        assertTrue(bad.isNullAt(bad.fieldIndex("class")));

        List<BufferedImage> images = new ArrayList<>();
        for (Path file : testImages) {
            images.add(ImageFiles.read(file, Long.MAX_VALUE));
        }
        try (TlbClassifier classifier = TlbClassifier.load(run)) {
            List<Prediction> expected = classifier.predictAll(images);
            for (int i = 0; i < testImages.size(); i++) {
                Row row = rows.get(testImages.get(i));
                Prediction p = expected.get(i);
                assertNull(row.get(row.fieldIndex("error")));
                assertEquals(p.className(), row.getString(row.fieldIndex("class")), testImages.get(i).toString());
                assertEquals(p.probability(), row.getFloat(row.fieldIndex("probability")), 1e-5);
                List<Float> all = row.getList(row.fieldIndex("probabilities"));
                assertEquals(p.probabilities().length, all.size());
                for (int c = 0; c < all.size(); c++) {
                    assertEquals(p.probabilities()[c], all.get(c), 1e-5, testImages.get(i) + " class " + c);
                }
            }
        }
    }

    @Test
    void anExecutorLoadsTheShippedModelOnceFromItsOwnCopy() throws Exception {
        ModelShipment shipment = new ModelShipment(run);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(shipment);
        }
        shipment.release(); // as on another machine: nothing loaded, no run directory
        ModelShipment onExecutor;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            onExecutor = (ModelShipment) in.readObject();
        }
        BufferedImage image = ImageFiles.read(testImages.get(0), Long.MAX_VALUE);
        try (TlbClassifier original = TlbClassifier.load(run)) {
            TlbClassifier shipped = onExecutor.classifier();
            assertSame(shipped, onExecutor.classifier(), "loaded once per JVM");
            assertArrayEquals(original.predict(image).probabilities(), shipped.predict(image).probabilities());
        } finally {
            onExecutor.release();
        }
    }

    @Test
    void csvHasOneProbabilityColumnPerClass() throws Exception {
        Path output = tmp.resolve("predictions-csv");
        Result r = tlbSpark("predict", "--model", run.toString(), "--input", data.resolve("train").toString(),
                "--output", output.toString(), "--format", "csv");
        assertEquals(0, r.code(), r.err());
        List<Row> rows = spark.read().option("header", "true").csv(output.toString()).collectAsList();
        assertEquals(2 * Synthetic.CLASSES.length, rows.size());
        List<String> columns = List.of(rows.get(0).schema().fieldNames());
        assertEquals("path", columns.get(0));
        assertEquals("p_" + Synthetic.CLASSES[0], columns.get(3));
        assertEquals("error", columns.get(columns.size() - 1));
        assertEquals(Synthetic.CLASSES.length + 4, columns.size());
    }

    @Test
    void evaluateEqualsTlbEvaluate() throws Exception {
        Result expected = tlb("evaluate", "--model", run.toString(), "--data", data.toString(), "--split", "test",
                "--out", tmp.toString(), "--json");
        assertEquals(0, expected.code(), expected.err());
        Result r = tlbSpark("evaluate", "--model", run.toString(), "--input", data.resolve("test").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode want = expected.json();
        JsonNode got = r.json();
        assertEquals(testImages.size(), got.get("images").asInt());
        assertEquals(want.get("images"), got.get("images"));
        assertEquals(want.get("accuracy").asDouble(), got.get("accuracy").asDouble(), 1e-12);
        assertEquals(want.get("loss").asDouble(), got.get("loss").asDouble(), 1e-5);
        assertEquals(want.get("per_class"), got.get("per_class"));
        assertEquals(want.get("classes"), got.get("classes"));
        assertEquals(want.get("confusion"), got.get("confusion"));
        assertEquals(1, got.get("unreadable").asInt(), "the corrupt image is counted, not scored");
        assertTrue(r.err().contains("corrupt.png"), r.err());
    }

    @Test
    void sweepTrainsEachConfigurationAndWritesTheTable() throws Exception {
        Path cifar = Synthetic.cifarDir(tmp.resolve("sweep-data"), 40, false).getParent();
        Path grid = tmp.resolve("grid.json");
        Files.writeString(grid, """
                {"grid": {"learning_rate": [0.003, 0.001]},
                 "set": {"epochs": 1, "embed_dim": 16, "key_dim": 16, "batch_size": 32, "train_limit": 64,
                         "val_limit": 32, "train_slice": 160}}
                """);
        Path output = tmp.resolve("sweep");
        Result r = tlbSpark("sweep", "--grid", grid.toString(), "--data", cifar.toString(), "--output",
                output.toString(), "--json");
        assertEquals(0, r.code(), r.out() + r.err());
        for (String name : List.of("run-001", "run-002")) {
            assertTrue(Files.exists(output.resolve(name).resolve("model.params")), name);
        }
        List<String> table = Files.readAllLines(output.resolve(SweepCommand.TABLE));
        assertEquals(3, table.size(), String.join("\n", table));
        assertTrue(table.get(0).startsWith("run,learning_rate,"), table.get(0));
        assertTrue(table.get(1).startsWith("run-001,0.003,"), table.get(1));
        assertTrue(table.get(2).startsWith("run-002,0.001,"), table.get(2));
        // each row is its own run's: the grid's rate in its config, the best val_accuracy of its history
        JsonNode runs = r.json().get("runs");
        assertEquals(2, runs.size(), runs.toString());
        for (JsonNode result : runs) {
            assertTrue(result.get("error").isNull(), result.toString());
            Path dir = output.resolve(result.get("run").asText());
            assertEquals(result.get("config").get("learning_rate").asDouble(),
                    new ObjectMapper().readTree(dir.resolve("config.json").toFile()).get("learning_rate").asDouble(), 0);
            double best = 0;
            for (JsonNode epoch : new ObjectMapper().readTree(dir.resolve("history.json").toFile())) {
                best = Math.max(best, epoch.get("val_accuracy").asDouble());
            }
            assertEquals(best, result.get("best_val_accuracy").asDouble(), 0, result.toString());
        }
    }

    @Test
    void everyFileIsOneRowOrCountedAnEmptyOneToo() throws Exception {
        Path cat = Files.createDirectories(tmp.resolve("mixed").resolve("cat"));
        for (int i = 0; i < 3; i++) {
            Files.copy(testImages.get(i), cat.resolve(i + ".png"));
        }
        Files.write(cat.resolve("empty.png"), new byte[0]);
        Files.copy(corrupt, cat.resolve("corrupt.png"));
        Files.writeString(cat.resolve("notes.txt"), "not an image");
        Path output = tmp.resolve("mixed-predictions");
        Result predict = tlbSpark("predict", "--model", run.toString(), "--input", cat.getParent().toString(),
                "--output", output.toString());
        assertEquals(0, predict.code(), predict.err());
        Map<String, Row> rows = new HashMap<>();
        for (Row row : spark.read().parquet(output.toString()).collectAsList()) {
            rows.put(Path.of(new URI(row.getString(row.fieldIndex("path")))).getFileName().toString(), row);
        }
        assertEquals(java.util.Set.of("0.png", "1.png", "2.png", "empty.png", "corrupt.png", "notes.txt"), rows.keySet());
        Row empty = rows.get("empty.png");
        assertTrue(empty.isNullAt(empty.fieldIndex("class")));
        assertTrue(empty.getString(empty.fieldIndex("error")).contains("empty.png"), empty.toString());
        assertTrue(predict.out().contains("Wrote 6 predictions (3 unreadable)"), predict.out());

        Result evaluate = tlbSpark("evaluate", "--model", run.toString(), "--input", cat.getParent().toString(), "--json");
        assertEquals(0, evaluate.code(), evaluate.err());
        JsonNode counts = evaluate.json();
        assertEquals(3, counts.get("images").asInt());
        assertEquals(2, counts.get("unreadable").asInt(), "the empty and the corrupt image");
        assertEquals(1, counts.get("ignored").asInt(), "notes.txt");
    }

    @Test
    void csvIsRfc4180WithFormulasNeutralised() throws Exception {
        Path hostile = Files.createDirectories(tmp.resolve("hostile-run"));
        for (String file : List.of("config.json", "model.params")) {
            Files.copy(run.resolve(file), hostile.resolve(file));
        }
        List<String> classes = new ArrayList<>(List.of(Synthetic.CLASSES));
        classes.set(0, "\"><svg onload=alert(2)>");
        classes.set(1, "=HYPERLINK(\"http://x\",\"y\")");
        classes.set(2, "@SUM(1+1)");
        Files.writeString(hostile.resolve("classes.json"), JSON.writeValueAsString(classes));
        Path output = tmp.resolve("hostile-csv");
        Result r = tlbSpark("predict", "--model", hostile.toString(), "--input", data.resolve("train").toString(),
                "--output", output.toString(), "--format", "csv");
        assertEquals(0, r.code(), r.err());
        StringBuilder header = new StringBuilder("path,class,probability");
        classes.forEach(c -> header.append(',').append(org.tlbjava.io.Csv.field("p_" + c)));
        header.append(",error");
        int records = 0;
        try (var parts = Files.list(output)) {
            for (Path part : parts.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
                List<List<String>> table = rfc4180(Files.readString(part));
                assertEquals(header.toString(), Files.readString(part).lines().findFirst().orElseThrow());
                for (List<String> record : table) {
                    assertEquals(classes.size() + 4, record.size(), record.toString());
                    String predicted = record.get(1);
                    assertFalse(predicted.matches("[=+\\-@].*"), "a formula cell: " + predicted);
                }
                records += table.size() - 1;
            }
        }
        assertEquals(2 * Synthetic.CLASSES.length, records);
    }

    /** The records of RFC 4180 text: quoted fields may hold commas, line breaks and doubled quotes. */
    private static List<List<String>> rfc4180(String text) {
        List<List<String>> records = new ArrayList<>();
        List<String> record = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',' || c == '\n') {
                record.add(field.toString());
                field.setLength(0);
                if (c == '\n') {
                    records.add(record);
                    record = new ArrayList<>();
                }
            } else {
                field.append(c);
            }
        }
        return records;
    }

    @Test
    void whatAKilledJobLeftIsUsedAsANewOutput() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("left-empty"));
        // what SIGTERM during a write leaves: the job's uncommitted files
        Path uncommitted = tmp.resolve("left-uncommitted");
        Files.write(Files.createDirectories(uncommitted.resolve("_temporary/0/_temporary/attempt_1_m_000001_3"))
                .resolve("part-00001.snappy.parquet"), new byte[] {1, 2, 3});
        for (Path output : List.of(empty, uncommitted)) {
            Result r = tlbSpark("predict", "--model", run.toString(), "--input", data.resolve("train").toString(),
                    "--output", output.toString());
            assertEquals(0, r.code(), r.err());
            assertEquals(2 * Synthetic.CLASSES.length, spark.read().parquet(output.toString()).count());
            assertFalse(Files.exists(output.resolve("_temporary")));
        }
    }

    @Test
    void aBadOrSilentMasterIsOneLineAndExitTwo() throws Exception {
        Result bogus = tlbSpark("predict", "--master", "bogus://x", "--model", run.toString(), "--input",
                data.toString(), "--output", tmp.resolve("never-bogus").toString());
        assertEquals(2, bogus.code(), bogus.err());
        assertTrue(bogus.err().startsWith("tlb-spark: error: --master bogus://x is not a Spark master URL"), bogus.err());
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort(); // closed below: nothing answers there
        }
        long start = System.nanoTime();
        Result silent = tlbSpark("evaluate", "--master", "spark://127.0.0.1:" + port, "--model", run.toString(),
                "--input", data.toString());
        assertEquals(2, silent.code(), silent.err());
        assertTrue(silent.err().contains("--master spark://127.0.0.1:" + port + ": no Spark master answers at 127.0.0.1:"
                + port), silent.err());
        assertFalse(silent.err().contains("\tat "), silent.err());
        assertTrue(System.nanoTime() - start < 60e9, "no minute of retries");
    }

    @Test
    void aGridOfAMillionConfigurationsIsRefusedUnlessAllowed() throws Exception {
        Path grid = tmp.resolve("million.json");
        List<Integer> hundred = java.util.stream.IntStream.range(0, 100).boxed().toList();
        Files.writeString(grid, JSON.writeValueAsString(Map.of("grid",
                Map.of("seed", hundred, "epochs", hundred.stream().map(e -> e + 1).toList(), "patch_size", hundred))));
        Result r = tlbSpark("sweep", "--grid", grid.toString(), "--data", tmp.toString(), "--output",
                tmp.resolve("no-million").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("makes 1,000,000 configurations, more than --max-configurations 100"), r.err());
        assertFalse(Files.exists(tmp.resolve("no-million")));
    }

    @Test
    void badInputIsOneClearMessageAndNoOutput() throws Exception {
        Path output = tmp.resolve("never");
        Result format = tlbSpark("predict", "--model", run.toString(), "--input", data.toString(), "--output",
                output.toString(), "--format", "json");
        assertEquals(2, format.code());
        assertTrue(format.err().contains("--format must be parquet or csv, got 'json'"), format.err());

        Result missing = tlbSpark("predict", "--model", run.toString(), "--input", tmp.resolve("nowhere").toString(),
                "--output", output.toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("nowhere"), missing.err());
        assertFalse(missing.err().contains("\tat "), "no stack trace: " + missing.err());
        assertFalse(Files.exists(output));

        Result exists = tlbSpark("predict", "--model", run.toString(), "--input", data.toString(), "--output",
                data.toString());
        assertEquals(2, exists.code());
        assertTrue(exists.err().contains("already exists"), exists.err());

        Path zebra = Files.createDirectories(tmp.resolve("other").resolve("zebra"));
        Files.copy(testImages.get(0), zebra.resolve("z.png"));
        Result notAClass = tlbSpark("evaluate", "--model", run.toString(), "--input", zebra.getParent().toString());
        assertEquals(1, notAClass.code());
        assertTrue(notAClass.err().contains("folders [zebra]"), notAClass.err());

        Path grid = tmp.resolve("bad-grid.json");
        Files.writeString(grid, "{\"grid\": {\"learning_rat\": [0.1]}}");
        Result badGrid = tlbSpark("sweep", "--grid", grid.toString(), "--data", tmp.toString(), "--output",
                tmp.resolve("no-sweep").toString());
        assertEquals(2, badGrid.code());
        assertTrue(badGrid.err().contains("learning_rat"), badGrid.err());
        assertFalse(Files.exists(tmp.resolve("no-sweep")));
    }
}
