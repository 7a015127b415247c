package org.tlbjava.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.tlbjava.cli.CliTest.tlb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.cli.CliTest.Result;
import org.tlbjava.testing.Synthetic;

/** Both model variants through the tool, and run directories written by earlier versions. */
class VariantsTest {
    @TempDir
    static Path tmp;

    static Path data;

    @BeforeAll
    static void syntheticData() throws Exception {
        data = tmp.resolve("data");
        Synthetic.cifarDir(data, 60, true);
    }

    /**
     * A keras run written by the tool before the paper variant and sealed weight files (legacy
     * model.params, camelCase history) evaluates to what that version reported: test loss
     * 1.3295705666144688, accuracy 0.4, on the same synthetic data. That version computed in
     * float32, so the copy is evaluated in float32 too (its config's mixed_precision set false):
     * bf16 matmuls on an AMX Xeon move one of its 15 test images across the decision boundary.
     */
    @Test
    void aRunFromBeforeThePaperVariantEvaluatesToTheSameAccuracy() throws Exception {
        Path run = Files.createDirectories(tmp.resolve("legacy"));
        for (String file : new String[] {"config.json", "classes.json", "model.params", "history.json"}) {
            try (InputStream in = VariantsTest.class.getResourceAsStream("/legacy-keras-run/" + file)) {
                Files.copy(in, run.resolve(file));
            }
        }
        Path config = run.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"mixed_precision\" : true", "\"mixed_precision\" : false"));
        assertTrue(Files.readString(config).contains("\"mixed_precision\" : false"));
        Result r = tlb("evaluate", "--model", run.toString(), "--data", data.toString(), "--split", "test", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        assertEquals(0.4, j.get("accuracy").asDouble(), 1e-12);
        assertEquals(1.3295705666144688, j.get("loss").asDouble(), 1e-6);
    }

    @Test
    void aPaperRunTrainsPredictsAndShowsItsBottleneckAttention() throws Exception {
        Path run = tmp.resolve("paper");
        List<String> args = new ArrayList<>(List.of("train", "--data", data.toString(), "--set", "train_slice=240",
                "--set", "variant=paper", "--set", "state_tokens=4", "--set", "embed_dim=16", "--set", "key_dim=16",
                "--set", "num_layers=2", "--set", "image_size=16", "--batch-size", "32", "--epochs", "1",
                "--out", run.toString()));
        Result trained = tlb(args.toArray(new String[0]));
        assertEquals(0, trained.code(), trained.err());
        assertTrue(trained.out().contains("Model: paper variant"), trained.out());
        Result attention = tlb("attention", "--model", run.toString(), "--data", data.toString(), "--count", "2",
                "--out", tmp.resolve("att").toString());
        assertEquals(0, attention.code(), attention.err());
        assertTrue(Files.size(tmp.resolve("att/grid.png")) > 0);
        Result evaluated = tlb("evaluate", "--model", run.toString(), "--data", data.toString(), "--json");
        assertEquals(0, evaluated.code(), evaluated.err());
        // the saved paper model, loaded again, scores on the run's validation split what training measured
        JsonNode history = new ObjectMapper().readTree(run.resolve("history.json").toFile());
        JsonNode last = history.get(history.size() - 1);
        assertEquals(last.get("val_accuracy").asDouble(), evaluated.json().get("accuracy").asDouble(), 1e-9);
        assertEquals(last.get("val_loss").asDouble(), evaluated.json().get("loss").asDouble(), 1e-5);
    }

    @Test
    void summaryShowsEachVariantsBlocks() throws Exception {
        JsonNode paper = tlb("summary", "--set", "variant=paper", "--json").json();
        JsonNode cell = paper.get("cell_blocks");
        assertTrue(cell.has("self_attn_0") && cell.has("read_state_0") && cell.has("bottleneck"), cell.toString());
        assertTrue(paper.get("blocks").has("state_layernorm"), paper.toString());
        JsonNode keras = tlb("summary", "--json").json();
        assertEquals(415_882, keras.get("total_params").asLong());
        assertTrue(keras.get("cell_blocks").has("tlb_cross_attn_ffn"), keras.toString());
        Result native32 = tlb("summary", "--set", "variant=paper", "--set", "image_size=32", "--set", "stem=conv",
                "--set", "readout=last_chunk", "--set", "learned_state=true", "--json");
        assertEquals(0, native32.code(), native32.err());
        // stem 3x3 convs 3->32->32, then the 4x4 patch convolution 32->64, 64 position vectors, LayerNorm
        long stem = (3 * 32 * 9 + 32) + (32 * 32 * 9 + 32);
        assertEquals(stem + (32 * 64 * 16 + 64) + 64 * 64 + 2 * 64,
                native32.json().get("blocks").get("patch_embedding").asLong());
        Result table = tlb("summary", "--set", "variant=paper", "--set", "stem=conv");
        List<String> rows = table.out().lines().filter(l -> l.matches("(?! (Total|Trainable|Non-trainable) params).*(\\d|Param #)$")).toList();
        assertTrue(rows.size() >= 10 && rows.stream().anyMatch(l -> l.startsWith("patch_embedding (PatchEmbedding, conv stem)")),
                table.out());
        assertEquals(1, rows.stream().mapToInt(String::length).distinct().count(), "columns aligned:\n" + table.out());
        Result bad = tlb("summary", "--set", "variant=transformer");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("variant must be one of keras, paper"), bad.err());
    }
}
