package org.tlbjava.export;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.tlbjava.TlbException;
import org.tlbjava.export.proto.Onnx.ModelProto;
import org.tlbjava.export.proto.Onnx.OperatorSetIdProto;
import org.tlbjava.export.proto.Onnx.StringStringEntryProto;
import org.tlbjava.export.proto.Onnx.TensorProto;
import org.tlbjava.export.proto.Onnx.TensorShapeProto;
import org.tlbjava.export.proto.Onnx.ValueInfoProto;

/**
 * What an ONNX file offers its user, read back from the file itself: its inputs and outputs with
 * their element types and shapes, its opset and the classes in output order.
 */
public record OnnxFileSummary(long irVersion, long opset, List<Tensor> inputs, List<Tensor> outputs, List<String> classes) {
    /** One graph input or output: a symbolic dimension is shown by its name. */
    public record Tensor(String name, String type, List<String> shape) {
        @Override
        public String toString() {
            return String.format("%-14s %-7s [%s]", name, type, String.join(", ", shape));
        }
    }

    public static OnnxFileSummary read(Path file) {
        ModelProto model;
        try (InputStream in = Files.newInputStream(file)) {
            model = ModelProto.parseFrom(in);
        } catch (IOException e) {
            throw new TlbException("cannot read " + file + " as an ONNX model: " + e.getMessage(), e);
        }
        long opset = model.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty())
                .mapToLong(OperatorSetIdProto::getVersion).findFirst().orElse(0);
        List<String> classes = model.getMetadataPropsList().stream().filter(p -> p.getKey().equals("classes"))
                .map(StringStringEntryProto::getValue).findFirst().map(OnnxFileSummary::classList).orElse(List.of());
        return new OnnxFileSummary(model.getIrVersion(), opset, tensors(model.getGraph().getInputList()),
                tensors(model.getGraph().getOutputList()), classes);
    }

    private static List<Tensor> tensors(List<ValueInfoProto> values) {
        return values.stream().map(v -> new Tensor(v.getName(),
                typeName(v.getType().getTensorType().getElemType()),
                v.getType().getTensorType().getShape().getDimList().stream().map(OnnxFileSummary::dimension)
                        .collect(Collectors.toList()))).toList();
    }

    private static String dimension(TensorShapeProto.Dimension d) {
        return d.hasDimParam() ? d.getDimParam() : Long.toString(d.getDimValue());
    }

    private static String typeName(int elemType) {
        TensorProto.DataType type = TensorProto.DataType.forNumber(elemType);
        return switch (type == null ? TensorProto.DataType.UNDEFINED : type) {
            case FLOAT -> "float32";
            case UNDEFINED -> "type " + elemType;
            default -> type.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static List<String> classList(String json) {
        try {
            return new ObjectMapper().readValue(json, new TypeReference<List<String>>() {});
        } catch (IOException e) {
            throw new TlbException("the ONNX file's 'classes' metadata is not a JSON list: " + e.getMessage(), e);
        }
    }
}
