package org.tlbjava.export;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.tlbjava.config.RunConfig;
import org.tlbjava.export.proto.Onnx.ModelProto;
import org.tlbjava.export.proto.Onnx.OperatorSetIdProto;
import org.tlbjava.export.proto.Onnx.StringStringEntryProto;
import org.tlbjava.export.proto.Onnx.TensorProto;
import org.tlbjava.io.AtomicFiles;
import org.tlbjava.model.TlbModel;

/**
 * Writes a trained model as a standard ONNX file: input {@code images}, uint8 RGB
 * [batch, 3, H, W] (H x W = the config's input_shape, 32 x 32 for CIFAR-10), with the evaluation
 * preprocessing inside the graph; output {@code probabilities} [batch, classes] and, on request,
 * {@code attention} [batch, image_size, image_size]. Metadata: {@code classes} (a JSON list),
 * {@code config} (the run's config.json) and {@code tool_version}.
 */
public final class OnnxExporter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private OnnxExporter() {}

    /** Writes {@code file} atomically: a failure leaves no file (and an existing one as it was). */
    public static void export(TlbModel model, List<String> classes, Path file, OnnxOptions options) {
        ModelProto proto = build(model, classes, options);
        AtomicFiles.write(file, proto::writeTo);
    }

    /** The ONNX file's bytes, for a runtime in this process. */
    public static byte[] bytes(TlbModel model, List<String> classes, OnnxOptions options) {
        return build(model, classes, options).toByteArray();
    }

    static ModelProto build(TlbModel model, List<String> classes, OnnxOptions options) {
        RunConfig c = model.config();
        String version = toolVersion();
        long batch = options.fixedBatch() > 0 ? options.fixedBatch() : -1;
        OnnxGraph graph = new OnnxGraph("tlb");
        graph.input("images", TensorProto.DataType.UINT8, batch, 3, c.data().inputSide(), c.data().inputSide());
        TlbGraph tlb = new TlbGraph(graph, c);
        List<String> tlbProbs = options.attentionMaps() ? new ArrayList<>() : null;
        String probabilities = tlb.classify(Weights.of(model), "images", tlbProbs);
        graph.output(probabilities, "probabilities", TensorProto.DataType.FLOAT, batch, c.model().numClasses());
        if (tlbProbs != null) {
            graph.output(tlb.attentionMaps(tlbProbs), "attention", TensorProto.DataType.FLOAT,
                    batch, c.model().imageSize(), c.model().imageSize());
        }
        return ModelProto.newBuilder()
                .setIrVersion(OnnxGraph.IR_VERSION)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OnnxGraph.OPSET))
                .setProducerName("tlb-java")
                .setProducerVersion(version)
                .setDocString("Temporal Latent Bottleneck image classifier. Input images: uint8 RGB [batch, 3, "
                        + c.data().inputSide() + ", " + c.data().inputSide() + "], 0-255; rescaling and resizing are in the graph.")
                .setGraph(graph.build())
                .addMetadataProps(entry("classes", json(classes)))
                .addMetadataProps(entry("config", c.toJson()))
                .addMetadataProps(entry("tool_version", version))
                .build();
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The project's version, written into version.properties by the build. */
    static String toolVersion() {
        try (InputStream in = OnnxExporter.class.getResourceAsStream("version.properties")) {
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
