package org.tlbjava.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.model.EngineTuning;
import org.tlbjava.testing.Synthetic;

/**
 * {@code tlb-spark sweep} as a user starts it: in a new JVM whose first use of the engine is the
 * sweep's task (the engine's thread setting once failed there on every configuration). Its run
 * equals {@code tlb train}'s with the same settings on one engine thread, as a sweep task has:
 * batch adapted the same way, the same history and the same model.params.
 */
class SweepInFreshProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SETTINGS = List.of("epochs=2", "embed_dim=16", "key_dim=16", "num_layers=2",
            "train_limit=64", "val_limit=32", "train_slice=160", "mixed_precision=false");

    @TempDir
    Path tmp;

    @Test
    void aSweepStartedFromTheCommandLineTrainsAsTlbTrainDoes() throws Exception {
        Path cifar = Synthetic.cifarDir(tmp.resolve("data"), 40, false).getParent();
        ObjectNode run = JSON.createObjectNode();
        for (String setting : SETTINGS) {
            String[] kv = setting.split("=");
            run.set(kv[0], JSON.readTree(kv[1]));
        }
        Path grid = tmp.resolve("grid.json");
        Files.writeString(grid, "{\"runs\": [" + run + "]}");
        Path output = tmp.resolve("sweep");

        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + Path.of("java17.options").toAbsolutePath(), "-Dai.djl.offline=true", "-Djava.awt.headless=true",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "sweep", "--grid", grid.toString(),
                "--data", cifar.toString(), "--output", output.toString(), "--master", "local[1]"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("sweep.out").toFile());
        builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        int code = builder.start().waitFor();
        String printed = Files.readString(tmp.resolve("sweep.out"));
        assertEquals(0, code, printed);
        List<String> table = Files.readAllLines(output.resolve(SweepCommand.TABLE));
        assertTrue(table.get(1).endsWith(","), "no error in the row: " + table.get(1));

        Path alone = tmp.resolve("alone");
        List<String> train = new ArrayList<>(List.of("train", "--data", cifar.toString(), "--out", alone.toString(),
                "--set", "workers=1"));
        SETTINGS.forEach(s -> train.addAll(List.of("--set", s)));
        // A sweep task computes on one engine thread (the tasks share the cores); so does tlb train here,
        // since the order of a sum across engine threads changes its last bits.
        int engineThreads = EngineTuning.setThreads(1);
        try {
            assertEquals(0, org.tlbjava.cli.Main.execute(train.toArray(new String[0])));
        } finally {
            EngineTuning.setThreads(engineThreads);
        }

        Path swept = output.resolve("run-001");
        JsonNode sweptConfig = JSON.readTree(swept.resolve("config.json").toFile());
        assertEquals(JSON.readTree(alone.resolve("config.json").toFile()), sweptConfig);
        assertEquals(4, sweptConfig.get("batch_size").asInt(), "the default batch adapted to 64 images, as tlb train does");
        assertEquals(withoutSeconds(alone), withoutSeconds(swept));
        assertArrayEquals(Files.readAllBytes(alone.resolve("model.params")), Files.readAllBytes(swept.resolve("model.params")));
    }

    private static JsonNode withoutSeconds(Path run) throws Exception {
        JsonNode history = JSON.readTree(run.resolve("history.json").toFile());
        history.forEach(epoch -> ((ObjectNode) epoch).remove("seconds"));
        assertEquals(2, history.size());
        return history;
    }
}
