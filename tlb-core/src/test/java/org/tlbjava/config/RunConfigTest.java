package org.tlbjava.config;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tlbjava.TlbException;
import org.tlbjava.UsageException;

class RunConfigTest {
    @TempDir
    Path tmp;

    @Test
    void defaultsAreTheReferenceConfig() {
        RunConfig c = RunConfig.defaults();
        assertTrue(c.train().mixedPrecision());
        assertEquals(40_000, c.data().trainSlice());
        assertEquals(2048, c.train().batchSize());
        assertEquals(48, c.model().imageSize());
        assertEquals(1e-4, c.train().learningRate());
        assertEquals(1e-4, c.train().weightDecay());
        assertEquals(30, c.train().epochs());
        assertEquals(4, c.model().patchSize());
        assertEquals(64, c.model().embedDim());
        assertEquals(8, c.model().chunkSize());
        assertEquals(2, c.model().r());
        assertEquals(4, c.model().numLayers());
        assertEquals(0.2, c.model().ffnDrop());
        assertEquals(0.2, c.model().attnDrop());
        assertEquals(1, c.model().numHeads());
        assertEquals(52, c.data().inputSide() + c.data().resizeMargin());
        assertEquals(18, c.model().numChunks());
        assertEquals(42, c.train().seed());
    }

    @Test
    void withParsesTypedValuesRoundTripsThroughJsonAndLeavesTheOriginalAlone() {
        RunConfig original = RunConfig.defaults();
        RunConfig c = original.with("epochs=3", "learning_rate=0.001", "mixed_precision=false", "dataset=mine",
                "input_shape=[64,64,3]");
        RunConfig back = RunConfig.fromJson(c.toJson(), "test");
        assertEquals(c, back);
        assertEquals(3, back.train().epochs());
        assertEquals(0.001, back.train().learningRate());
        assertFalse(back.train().mixedPrecision());
        assertEquals("mine", back.data().dataset());
        assertEquals(List.of(64, 64, 3), back.data().inputShape());
        assertEquals(RunConfig.defaults(), original, "with() makes a new config");
    }

    /** Nothing can assign a config value after it is built: every part is a record of immutable values. */
    @Test
    void noConfigValueCanChangeAfterResolution() {
        for (Class<?> part : List.of(RunConfig.class, ModelConfig.class, DataConfig.class, TrainConfig.class)) {
            assertTrue(part.isRecord(), part.getName());
            for (Field field : part.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers())) {
                    assertTrue(Modifier.isFinal(field.getModifiers()), "constant " + field);
                    continue;
                }
                Class<?> type = field.getType();
                assertTrue(type.isPrimitive() || type == String.class || type == List.class || type.isRecord(),
                        "an immutable type: " + field);
            }
        }
        RunConfig c = RunConfig.defaults();
        assertThrows(UnsupportedOperationException.class, () -> c.data().inputShape().set(0, 16));
    }

    @Test
    void configJsonIsOneFlatObjectWithEveryKeyInOrder() throws Exception {
        JsonNode json = ConfigResolver.JSON.readTree(RunConfig.defaults().toJson());
        List<String> written = new ArrayList<>();
        json.fieldNames().forEachRemaining(written::add);
        assertEquals(RunConfig.keys(), written);
        assertEquals(43, written.size());
        assertTrue(written.containsAll(List.of("variant", "image_size", "input_shape", "batch_size", "seed", "tta_flip", "kernels")));
        json.elements().forEachRemaining(value -> assertFalse(value.isObject(), "flat: " + json));
    }

    static Stream<Path> runConfigsOfEarlierVersions() {
        Path repo = Path.of("").toAbsolutePath(); // surefire runs in the repository root
        return Stream.of(repo.resolve("docs/results/fast/config.json"), repo.resolve("docs/results/fast-clip/config.json"),
                repo.resolve("docs/results/fast-18/config.json"),
                repo.resolve("tlb-core/src/test/resources/legacy-keras-run/config.json"));
    }

    /** A run saved before the kernels key trained on the eager path and resumes on it; a new config says what it asks. */
    @Test
    void aRunSavedBeforeTheKernelsKeyKeepsToTheEagerPath() throws Exception {
        ObjectNode old = (ObjectNode) ConfigResolver.JSON.readTree(RunConfig.defaults().with("kernels=auto").toJson());
        old.remove("kernels");
        assertEquals("eager", RunConfig.fromJson(old.toString(), "old").train().kernels());
        assertEquals("auto", RunConfig.fromJson(RunConfig.defaults().with("kernels=auto").toJson(), "new").train().kernels());
    }

    /** Run directories written by the mutable config of earlier versions load, value for value. */
    @ParameterizedTest
    @MethodSource("runConfigsOfEarlierVersions")
    void everyExistingRunDirectoryStillLoads(Path file) throws Exception {
        String text = Files.readString(file);
        RunConfig loaded = RunConfig.fromJson(text, file.toString());
        JsonNode written = ConfigResolver.JSON.readTree(text);
        JsonNode now = ConfigResolver.JSON.readTree(loaded.toJson());
        written.fieldNames().forEachRemaining(key -> {
            JsonNode a = written.get(key);
            JsonNode b = now.get(key);
            boolean same = a.isNumber() ? a.decimalValue().compareTo(b.decimalValue()) == 0 : a.equals(b);
            assertTrue(same, file + " " + key + ": " + a + " read back as " + b);
        });
    }

    @Test
    void unknownKeysAndBadValuesAreNamed() {
        UsageException unknown = assertThrows(UsageException.class, () -> RunConfig.defaults().with("epoch=3"));
        assertTrue(unknown.getMessage().contains("unknown config key 'epoch'"), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("epochs"), "lists the known keys: " + unknown.getMessage());
        for (String[] bad : new String[][] {{"epochs=many", "an integer"}, {"epochs=2.5", "an integer"},
            {"learning_rate=fast", "a number"}, {"tta_flip=7", "true or false"}, {"input_shape=32", "a list of integers"},
            {"seed=null", "an integer"}}) {
            UsageException e = assertThrows(UsageException.class, () -> RunConfig.defaults().with(bad[0]), bad[0]);
            String key = bad[0].substring(0, bad[0].indexOf('='));
            assertTrue(e.getMessage().contains("--set " + bad[0]) && e.getMessage().contains("'" + key + "'")
                    && e.getMessage().contains(bad[1]), e.getMessage());
        }
        assertThrows(UsageException.class, () -> RunConfig.defaults().with("noequals"));
    }

    @Test
    void oneMessageListsTheProblemsOfEveryPart() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> RunConfig.defaults().with("patch_size=5", "ffn_drop=1.0", "r=0", "val_fraction=1", "epochs=0"));
        for (String problem : new String[] {"image_size 48 is not divisible by patch_size 5", "ffn_drop must be in [0, 1)",
            "r must be positive", "val_fraction must be in (0, 1)", "epochs must be positive"}) {
            assertTrue(e.getMessage().contains(problem), e.getMessage());
        }
        assertEquals(5, e.problems().size(), e.problems().toString());
        assertTrue(assertThrows(UsageException.class, () -> RunConfig.defaults().with("chunk_size=7"))
                .getMessage().contains("divisible by chunk_size 7"));
    }

    @Test
    void configFilesAreReadWithClearErrors() throws Exception {
        Path good = tmp.resolve("c.json");
        Files.writeString(good, "{\"epochs\": 2, \"embed_dim\": 32, \"key_dim\": 32}");
        RunConfig c = RunConfig.load(good);
        assertEquals(2, c.train().epochs());
        assertEquals(32, c.model().embedDim());
        assertEquals(2048, c.train().batchSize());
        Path bom = tmp.resolve("bom.json");
        Files.writeString(bom, "\uFEFF{\"epochs\": 4}");
        assertEquals(4, RunConfig.load(bom).train().epochs(), "an editor's byte-order mark is not an error");
        Path broken = tmp.resolve("broken.json");
        Files.writeString(broken, "{\"epochs\": ");
        assertTrue(assertThrows(TlbException.class, () -> RunConfig.load(broken)).getMessage().contains("broken.json"));
        Path unknown = tmp.resolve("u.json");
        Files.writeString(unknown, "{\"epochz\": 2}");
        assertTrue(assertThrows(UsageException.class, () -> RunConfig.load(unknown)).getMessage().contains("epochz"));
        Path twice = tmp.resolve("twice.json");
        Files.writeString(twice, "{\"epochs\": 2, \"epochs\": 3}");
        UsageException duplicate = assertThrows(UsageException.class, () -> RunConfig.load(twice));
        assertTrue(duplicate.getMessage().contains("twice.json") && duplicate.getMessage().contains("'epochs'"),
                duplicate.getMessage());
        assertTrue(assertThrows(TlbException.class, () -> RunConfig.load(tmp.resolve("none.json")))
                .getMessage().contains("does not exist"));
    }

    @Test
    void layersOverrideInOrderPresetFileSetFlag() throws Exception {
        Path file = tmp.resolve("c.json");
        Files.writeString(file, "{\"epochs\": 5, \"batch_size\": 128, \"seed\": 7}");
        RunConfig c = ConfigResolver.defaults().preset("fast").file(file).set("batch_size=64")
                .set("seed", 9, "--seed 9").resolve();
        assertEquals("paper", c.model().variant(), "from the preset");
        assertEquals(5, c.train().epochs(), "the file over the preset's 22");
        assertEquals(64, c.train().batchSize(), "--set over the file");
        assertEquals(9, c.train().seed(), "the flag over the file");
        UsageException flag = assertThrows(UsageException.class,
                () -> ConfigResolver.defaults().set("epochs", "two", "--epochs two"));
        assertTrue(flag.getMessage().startsWith("--epochs two: bad value"), flag.getMessage());
    }

    @Test
    void theDataSetsNumClassesButAChosenOneThatDiffersIsRefused() {
        assertEquals(3, ConfigResolver.defaults().dataClasses(3, "photos").resolve().model().numClasses());
        assertEquals(5, ConfigResolver.defaults().set("num_classes=5").dataClasses(5, "photos").resolve().model()
                .numClasses());
        UsageException e = assertThrows(UsageException.class,
                () -> ConfigResolver.defaults().set("num_classes=3").dataClasses(10, "cifar"));
        assertTrue(e.getMessage().contains("num_classes 3") && e.getMessage().contains("10 classes"), e.getMessage());
    }

    @Test
    void everyPresetIsValidAndOverriddenBySet() {
        for (String name : Presets.names()) {
            assertNotNull(ConfigResolver.defaults().preset(name).resolve());
            assertNotNull(Presets.description(name));
            assertFalse(Presets.settings(name).isEmpty(), name);
        }
        assertEquals(RunConfig.defaults(), ConfigResolver.defaults().preset("reference").resolve(),
                "the reference preset is the defaults");
        RunConfig fast = ConfigResolver.defaults().preset("fast").resolve();
        assertEquals(TrainConfig.COSINE, fast.train().lrSchedule());
        RunConfig changed = fast.with("epochs=3", "lr_schedule=constant");
        assertEquals(3, changed.train().epochs());
        assertEquals(TrainConfig.CONSTANT, changed.train().lrSchedule());
        assertEquals(Presets.settings("fast").get("learning_rate").asDouble(), changed.train().learningRate(), 0);
        UsageException unknown = assertThrows(UsageException.class, () -> ConfigResolver.defaults().preset("fastest"));
        assertTrue(unknown.getMessage().contains("fastest") && unknown.getMessage().contains("fast"));
    }

    @Test
    void recipeValuesAreChecked() {
        String message = assertThrows(UsageException.class,
                () -> RunConfig.defaults().with("lr_schedule=linear", "label_smoothing=1.5")).getMessage();
        assertTrue(message.contains("lr_schedule") && message.contains("label_smoothing"), message);
        String padCrop = assertThrows(UsageException.class, () -> RunConfig.defaults().with("augmentation=pad_crop"))
                .getMessage();
        assertTrue(padCrop.contains("pad_crop crops at the input size"), "image_size 48 is not the input side 32: " + padCrop);
        String crop = assertThrows(UsageException.class, () -> RunConfig.defaults().with("image_size=64")).getMessage();
        assertTrue(crop.contains("raise resize_margin to at least 32"), crop);
    }

    /** The model's config checks itself: no ModelConfig describes a network that cannot be built. */
    @Test
    void aModelConfigRefusesSettingsThatMakeNoNetwork() {
        ModelConfig keras = RunConfig.defaults().model();
        assertEquals(144, keras.numPatches());
        assertEquals(18, keras.numChunks());
        assertEquals(ModelConfig.AUTO, keras.readout());
        assertEquals(ModelConfig.LAST_CHUNK, keras.headReads(), "auto reads the last chunk for keras");
        assertEquals(ModelConfig.STATE, RunConfig.defaults().with("variant=paper").model().headReads(),
                "and the state for paper");
        UsageException e = assertThrows(UsageException.class, () -> new ModelConfig("keras", 48, 4, 64, 7, 2, 4, 1, 64,
                0.2, 1.5, 10, 8, true, "mean", "patch", false));
        for (String problem : new String[] {"not divisible by chunk_size 7",
            "readout must be one of auto, last_chunk, state, got mean", "learned_state applies to variant paper",
            "attn_drop must be in [0, 1)"}) {
            assertTrue(e.getMessage().contains(problem), e.getMessage());
        }
        assertEquals(1, e.getMessage().split("readout", -1).length - 1, "one message for it: " + e.getMessage());
    }
}
