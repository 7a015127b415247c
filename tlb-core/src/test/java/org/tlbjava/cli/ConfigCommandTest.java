package org.tlbjava.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tlbjava.config.RunConfig;

/** Settings can be found without reading the source: tlb config, and defaults in --help. */
class ConfigCommandTest {
    @Test
    void configJsonListsEveryKeyWithItsDefaultTypeAndMeaning() throws Exception {
        CliTest.Result r = CliTest.tlb("config", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode json = r.json();
        List<String> listed = new ArrayList<>();
        for (JsonNode key : json.get("keys")) {
            String name = key.get("key").asText();
            listed.add(name);
            assertTrue(key.has("default"), name);
            assertFalse(key.get("type").asText().isBlank(), name);
            assertTrue(key.get("description").isTextual() && key.get("description").asText().length() > 10,
                    "a one-line meaning for " + name + ": " + key.get("description"));
        }
        assertEquals(RunConfig.keys(), listed);
        JsonNode batch = json.get("keys").get(RunConfig.keys().indexOf("batch_size"));
        assertEquals(2048, batch.get("default").asInt());
        assertEquals(256, batch.get("presets").get("fast").asInt(), "the fast preset's batch");
        JsonNode lr = json.get("keys").get(RunConfig.keys().indexOf("learning_rate"));
        assertFalse(lr.get("presets").has("reference"), "the reference preset's 0.0001 is the default, not a change");
        assertTrue(json.get("presets").has("fast"));
    }

    @Test
    void configTextNamesEveryKeyAndPreset() {
        CliTest.Result r = CliTest.tlb("config");
        assertEquals(0, r.code(), r.err());
        for (String key : RunConfig.keys()) {
            assertTrue(r.out().contains("\n" + key + " = ") || r.out().startsWith(key + " = "), key);
        }
        assertTrue(r.out().contains("presets: fast: 256"), r.out());
    }

    @Test
    void trainHelpShowsTheDefaults() {
        CliTest.Result r = CliTest.tlb("train", "--help");
        RunConfig defaults = RunConfig.defaults();
        for (String expected : new String[] {"(default " + defaults.train().epochs() + ";", "(default " + defaults.train().batchSize() + ";",
                "(default 1e-4)", "(default " + defaults.model().imageSize() + ",", "tlb config"}) {
            assertTrue(r.out().contains(expected), expected + " in\n" + r.out());
        }
        assertEquals(1e-4, defaults.train().learningRate(), "the help's 1e-4");
    }

    @Test
    void aListWrittenWithoutBracketsIsExplained() {
        CliTest.Result r = CliTest.tlb("summary", "--set", "input_shape=128,128,3");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("bad value \"128,128,3\" for 'input_shape': expected a list of integers such as [32,32,3]"),
                r.err());
    }
}
