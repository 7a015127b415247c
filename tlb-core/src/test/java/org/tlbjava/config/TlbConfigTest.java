package org.tlbjava.config;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.tlbjava.UsageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.TlbException;

class TlbConfigTest {
    @TempDir
    Path tmp;

    @Test
    void defaultsAreTheReferenceConfig() {
        TlbConfig c = new TlbConfig().validate();
        assertTrue(c.mixedPrecision);
        assertEquals(40_000, c.trainSlice);
        assertEquals(2048, c.batchSize);
        assertEquals(48, c.imageSize);
        assertEquals(1e-4, c.learningRate);
        assertEquals(1e-4, c.weightDecay);
        assertEquals(30, c.epochs);
        assertEquals(4, c.patchSize);
        assertEquals(64, c.embedDim);
        assertEquals(8, c.chunkSize);
        assertEquals(2, c.r);
        assertEquals(4, c.numLayers);
        assertEquals(0.2, c.ffnDrop);
        assertEquals(0.2, c.attnDrop);
        assertEquals(1, c.numHeads);
        assertEquals(52, c.inputShape[0] + c.resizeMargin);
        assertEquals(18, c.model().numChunks());
    }

    @Test
    void setParsesTypedValuesAndRoundTripsThroughJson() {
        TlbConfig c = new TlbConfig();
        c.set("epochs=3");
        c.set("learning_rate=0.001");
        c.set("mixed_precision=false");
        c.set("dataset=mine");
        c.set("input_shape=[64,64,3]");
        TlbConfig back = TlbConfig.fromJson(c.toJson(), "test");
        assertEquals(3, back.epochs);
        assertEquals(0.001, back.learningRate);
        assertFalse(back.mixedPrecision);
        assertEquals("mine", back.dataset);
        assertArrayEquals(new int[] {64, 64, 3}, back.inputShape);
    }

    @Test
    void unknownKeysAndBadValuesAreNamed() {
        TlbException unknown = assertThrows(TlbException.class, () -> new TlbConfig().set("epoch=3"));
        assertTrue(unknown.getMessage().contains("unknown config key 'epoch'"), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("epochs"), "lists the known keys: " + unknown.getMessage());
        TlbException bad = assertThrows(TlbException.class, () -> new TlbConfig().set("epochs=many"));
        assertTrue(bad.getMessage().contains("'epochs'") && bad.getMessage().contains("integer"), bad.getMessage());
        assertThrows(TlbException.class, () -> new TlbConfig().set("noequals"));
    }

    @Test
    void validationExplainsEachProblem() {
        TlbConfig c = new TlbConfig();
        c.patchSize = 5;
        c.ffnDrop = 1.0;
        c.r = 0;
        TlbException e = assertThrows(TlbException.class, c::validate);
        assertTrue(e.getMessage().contains("image_size 48 is not divisible by patch_size 5"), e.getMessage());
        assertTrue(e.getMessage().contains("ffn_drop must be in [0, 1)"), e.getMessage());
        assertTrue(e.getMessage().contains("r must be positive"), e.getMessage());
        TlbConfig chunks = new TlbConfig();
        chunks.chunkSize = 7;
        assertTrue(assertThrows(TlbException.class, chunks::validate).getMessage().contains("divisible by chunk_size 7"));
    }

    @Test
    void configFilesAreReadWithClearErrors() throws Exception {
        Path good = tmp.resolve("c.json");
        Files.writeString(good, "{\"epochs\": 2, \"embed_dim\": 32, \"key_dim\": 32}");
        TlbConfig c = TlbConfig.load(good);
        assertEquals(2, c.epochs);
        assertEquals(32, c.embedDim);
        assertEquals(2048, c.batchSize);
        Path broken = tmp.resolve("broken.json");
        Files.writeString(broken, "{\"epochs\": ");
        assertTrue(assertThrows(TlbException.class, () -> TlbConfig.load(broken)).getMessage().contains("broken.json"));
        Path unknown = tmp.resolve("u.json");
        Files.writeString(unknown, "{\"epochz\": 2}");
        assertTrue(assertThrows(TlbException.class, () -> TlbConfig.load(unknown)).getMessage().contains("epochz"));
        assertTrue(assertThrows(TlbException.class, () -> TlbConfig.load(tmp.resolve("none.json")))
                .getMessage().contains("does not exist"));
    }

    @Test
    void everyPresetIsValidAndOverriddenBySet() {
        for (String name : Presets.names()) {
            TlbConfig c = Presets.apply(name, new TlbConfig()).validate();
            assertNotNull(Presets.description(name));
            assertFalse(Presets.settings(name).isEmpty(), name);
        }
        assertEquals(new TlbConfig().toJson(), Presets.apply("reference", new TlbConfig()).toJson(),
                "the reference preset is the defaults");
        TlbConfig fast = Presets.apply("fast", new TlbConfig());
        assertEquals(TlbConfig.COSINE, fast.lrSchedule);
        fast.set("epochs=3");
        fast.set("lr_schedule=constant");
        assertEquals(3, fast.epochs);
        assertEquals(TlbConfig.CONSTANT, fast.lrSchedule);
        assertEquals(Presets.settings("fast").get("learning_rate").asDouble(), fast.learningRate, 0);
        UsageException unknown = assertThrows(UsageException.class, () -> Presets.apply("fastest", new TlbConfig()));
        assertTrue(unknown.getMessage().contains("fastest") && unknown.getMessage().contains("fast"));
    }

    @Test
    void recipeValuesAreChecked() {
        TlbConfig c = new TlbConfig();
        c.lrSchedule = "linear";
        c.labelSmoothing = 1.5;
        c.augmentation = TlbConfig.PAD_CROP; // image_size 48 is not the input side 32
        String message = assertThrows(UsageException.class, c::validate).getMessage();
        assertTrue(message.contains("lr_schedule") && message.contains("label_smoothing") && message.contains("pad_crop"),
                message);
    }

    /** The model's config checks itself: no ModelConfig describes a network that cannot be built. */
    @Test
    void aModelConfigRefusesSettingsThatMakeNoNetwork() {
        ModelConfig keras = new TlbConfig().model();
        assertEquals(144, keras.numPatches());
        assertEquals(18, keras.numChunks());
        assertEquals(ModelConfig.LAST_CHUNK, keras.readout(), "auto reads the last chunk for keras");
        UsageException e = assertThrows(UsageException.class, () -> new ModelConfig("keras", 48, 4, 64, 7, 2, 4, 1, 64,
                0.2, 1.5, 10, 8, true, "auto", "patch"));
        for (String problem : new String[] {"not divisible by chunk_size 7", "readout must be one of last_chunk, state, got auto",
            "learned_state applies to variant paper", "attn_drop must be in [0, 1)"}) {
            assertTrue(e.getMessage().contains(problem), e.getMessage());
        }
        TlbConfig unknownReadout = new TlbConfig();
        unknownReadout.readout = "mean";
        String message = assertThrows(UsageException.class, unknownReadout::validate).getMessage();
        assertTrue(message.contains("readout must be one of auto, last_chunk, state, got mean"), message);
        assertEquals(1, message.split("readout", -1).length - 1, "one message for it: " + message);
    }
}
