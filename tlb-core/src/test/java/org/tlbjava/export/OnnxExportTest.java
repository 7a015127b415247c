package org.tlbjava.export;

import static org.junit.jupiter.api.Assertions.*;
import static org.tlbjava.export.OnnxFixtures.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.Augmentation;
import org.tlbjava.explain.Prediction;
import org.tlbjava.explain.TlbClassifier;
import org.tlbjava.export.proto.Onnx.ModelProto;
import org.tlbjava.export.proto.Onnx.NodeProto;
import org.tlbjava.export.proto.Onnx.StringStringEntryProto;
import org.tlbjava.export.proto.Onnx.TensorProto;
import org.tlbjava.export.proto.Onnx.ValueInfoProto;
import org.tlbjava.testing.Synthetic;

/** Exported ONNX files run in ONNX Runtime and give what TlbClassifier gives. */
class OnnxExportTest {
    private static final int IMAGES = 256;
    /** Median over images of the largest minus the smallest logit: far from uniform probabilities. */
    private static final double MIN_SPREAD = 2;
    /** Largest logit difference allowed, relative to the spread (float32 rounding through the network). */
    private static final double LOGIT_TOLERANCE = 1e-5;

    @TempDir
    static Path tmp;

    static byte[] pixels;
    static List<BufferedImage> images;

    @BeforeAll
    static void images() throws Exception {
        pixels = OnnxFixtures.images(IMAGES);
        images = bufferedImages(pixels);
    }

    @Test
    void defaultModelWithADynamicBatchMatchesTheClassifierWithItsAttentionMaps() throws Exception {
        assertMatchesClassifier(config(), new OnnxOptions(0, true));
    }

    /** A fixed batch too: ONNX Runtime opens such a file about four times faster. */
    @Test
    void twoHeadsChunksOf16AndThreeLayersMatchTheClassifier() throws Exception {
        assertMatchesClassifier(config("num_heads=2", "key_dim=32", "chunk_size=16", "num_layers=3"),
                new OnnxOptions(IMAGES, false));
    }

    /** The paper variant: sinusoidal state position, bottleneck attention maps, state readout (its auto default). */
    @Test
    void paperModelWithTwoHeadsChunksOf16AndFourStateTokensMatchesTheClassifierWithItsAttentionMaps() throws Exception {
        assertMatchesClassifier(config("variant=paper", "num_heads=2", "key_dim=32", "chunk_size=16", "state_tokens=4"),
                new OnnxOptions(IMAGES, true));
    }

    /** The other options: conv stem, learned initial state, last_chunk readout, no resize (image_size 32). */
    @Test
    void paperModelWithConvStemLearnedStateAndLastChunkReadoutMatchesTheClassifier() throws Exception {
        assertMatchesClassifier(config("variant=paper", "stem=conv", "learned_state=true", "readout=last_chunk",
                "image_size=32", "num_layers=2"), new OnnxOptions(64, true), 64);
    }

    /** The keras variant with the state readout (LayerNorm of the final slow state). */
    @Test
    void kerasModelWithStateReadoutMatchesTheClassifier() throws Exception {
        assertMatchesClassifier(config("readout=state", "image_size=32", "num_layers=2"), new OnnxOptions(64, false), 64);
    }

    private static void assertMatchesClassifier(RunConfig config, OnnxOptions options) throws Exception {
        assertMatchesClassifier(config, options, IMAGES);
    }

    /**
     * Probabilities and top-1 of the first {@code n} images and, when exported, their attention
     * maps: TlbClassifier.explainAll's, the maps TlbClassifier.attention gives, from the same
     * forward pass as the probabilities (one batch, no second warm-up of the engine).
     */
    private static void assertMatchesClassifier(RunConfig config, OnnxOptions options, int n) throws Exception {
        Path run = run(Files.createTempDirectory(tmp, "run"), config);
        Path file = run.resolve("model.onnx");
        try (TlbClassifier classifier = TlbClassifier.load(run)) {
            classifier.exportOnnx(file, options);
            List<TlbClassifier.Explanation> expected = classifier.explainAll(images.subList(0, n));
            try (OnnxFixtures.Runtime ort = new OnnxFixtures.Runtime(file)) {
                List<float[]> outputs = ort.run(Arrays.copyOf(pixels, n * 3 * 32 * 32), n, 32);
                float[] probabilities = outputs.get(0);
                int classes = config.model().numClasses();
                List<float[]> rows = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    Prediction prediction = expected.get(i).prediction();
                    rows.add(prediction.probabilities());
                    assertEquals((int) prediction.top(1).get(0), argMax(probabilities, i * classes, classes), "image " + i);
                }
                float[] expectedLogits = centeredLogits(concat(rows), classes);
                float[] actualLogits = centeredLogits(probabilities, classes);
                double spread = medianSpread(expectedLogits, classes);
                assertTrue(spread > MIN_SPREAD, "median logit spread " + spread + ": probabilities far from uniform");
                float difference = maxDifference(expectedLogits, actualLogits);
                assertTrue(difference < LOGIT_TOLERANCE * spread, "logits: max difference " + difference + ", spread " + spread);
                if (options.attentionMaps()) {
                    List<float[]> maps = expected.stream().map(TlbClassifier.Explanation::heat).toList();
                    assertTrue(maxDifference(concat(maps), outputs.get(1)) < 1e-4f,
                            "attention: max difference " + maxDifference(concat(maps), outputs.get(1)));
                }
            }
        }
    }

    /**
     * Logits up to each image's constant, from probabilities: log p minus its mean over the
     * classes (softmax forgets the constant; comparing these compares logits).
     */
    private static float[] centeredLogits(float[] probabilities, int classes) {
        float[] logits = new float[probabilities.length];
        for (int row = 0; row < probabilities.length; row += classes) {
            double mean = 0;
            for (int c = 0; c < classes; c++) {
                mean += Math.log(probabilities[row + c]) / classes;
            }
            for (int c = 0; c < classes; c++) {
                logits[row + c] = (float) (Math.log(probabilities[row + c]) - mean);
            }
        }
        return logits;
    }

    private static double medianSpread(float[] logits, int classes) {
        double[] spreads = new double[logits.length / classes];
        for (int i = 0; i < spreads.length; i++) {
            float[] row = Arrays.copyOfRange(logits, i * classes, (i + 1) * classes);
            Arrays.sort(row);
            spreads[i] = row[classes - 1] - row[0];
        }
        Arrays.sort(spreads);
        return spreads[spreads.length / 2];
    }

    /** The graph's preprocessing alone against data.Augmentation.eval, value by value (to float rounding: 1e-5 of 0..1). */
    @Test
    void preprocessingIsTheEvaluationPipeline() throws Exception {
        RunConfig config = config();
        OnnxGraph graph = new OnnxGraph("preprocess");
        graph.input("images", TensorProto.DataType.UINT8, -1, 3, 32, 32);
        String resized = new TlbGraph(graph, config).preprocess("images");
        graph.output(resized, "resized", TensorProto.DataType.FLOAT, -1, 3, config.model().imageSize(), config.model().imageSize());
        Path file = tmp.resolve("preprocess.onnx");
        Files.write(file, model(graph).toByteArray());
        int n = 8;
        byte[] some = Arrays.copyOf(pixels, n * 3 * 32 * 32);
        Augmentation augmentation = new Augmentation(config, 32, 32);
        float[] expected = new float[n * augmentation.outputSize()];
        for (int i = 0; i < n; i++) {
            augmentation.eval(some, i * 3 * 32 * 32, augmentation.newScratch(), expected, i * augmentation.outputSize());
        }
        try (OnnxFixtures.Runtime ort = new OnnxFixtures.Runtime(file)) {
            float[] actual = ort.run(some, n, 32).get(0);
            assertTrue(maxDifference(expected, actual) < 1e-5f, "max difference " + maxDifference(expected, actual));
        }
    }

    /** ONNX's structural rules: opset declared, every node input defined before use, every output made; metadata. */
    @Test
    void fileIsAWellFormedOnnxModel() throws Exception {
        Path run = run(tmp.resolve("structure"), config());
        Path file = tmp.resolve("structure.onnx");
        try (TlbClassifier classifier = TlbClassifier.load(run)) {
            classifier.exportOnnx(file);
        }
        ModelProto model = ModelProto.parseFrom(Files.readAllBytes(file));
        assertEquals(OnnxGraph.IR_VERSION, model.getIrVersion());
        assertEquals(1, model.getOpsetImportCount());
        assertEquals("", model.getOpsetImport(0).getDomain());
        assertTrue(model.getOpsetImport(0).getVersion() >= 17);
        Set<String> defined = new HashSet<>(Set.of(""));
        model.getGraph().getInputList().forEach(i -> defined.add(i.getName()));
        model.getGraph().getInitializerList().forEach(t -> defined.add(t.getName()));
        for (NodeProto node : model.getGraph().getNodeList()) {
            assertEquals("", node.getDomain(), node.getName());
            for (String input : node.getInputList()) {
                assertTrue(defined.contains(input), node.getName() + " reads " + input + " before it is defined");
            }
            for (String output : node.getOutputList()) {
                assertTrue(defined.add(output), output + " is defined twice");
            }
        }
        for (ValueInfoProto output : model.getGraph().getOutputList()) {
            assertTrue(defined.contains(output.getName()), "output " + output.getName() + " is never made");
        }
        assertEquals(List.of("probabilities"), model.getGraph().getOutputList().stream().map(ValueInfoProto::getName).toList());
        assertEquals("batch", model.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam());
        assertEquals(List.of(Synthetic.CLASSES), List.of(new ObjectMapper().readValue(metadata(model, "classes"), String[].class)));
        assertEquals(config().toJson(), metadata(model, "config"));
        assertEquals(OnnxExporter.toolVersion(), metadata(model, "tool_version"));
    }

    private static String metadata(ModelProto model, String key) {
        return model.getMetadataPropsList().stream().filter(e -> e.getKey().equals(key))
                .map(StringStringEntryProto::getValue).findFirst().orElseThrow();
    }

    private static ModelProto model(OnnxGraph graph) {
        return ModelProto.newBuilder().setIrVersion(OnnxGraph.IR_VERSION).setGraph(graph.build())
                .addOpsetImport(org.tlbjava.export.proto.Onnx.OperatorSetIdProto.newBuilder().setVersion(OnnxGraph.OPSET))
                .build();
    }
}
