package org.tlbjava.export;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.tlbjava.export.proto.Onnx.AttributeProto;
import org.tlbjava.export.proto.Onnx.GraphProto;
import org.tlbjava.export.proto.Onnx.NodeProto;
import org.tlbjava.export.proto.Onnx.TensorProto;
import org.tlbjava.export.proto.Onnx.TensorShapeProto;
import org.tlbjava.export.proto.Onnx.TypeProto;
import org.tlbjava.export.proto.Onnx.ValueInfoProto;

/**
 * An ONNX graph under construction: nodes are appended in execution order, so every input is
 * defined before use, and each value gets a fresh name from the node that makes it. Standard
 * operators only (the default domain), at opset {@link #OPSET}.
 */
final class OnnxGraph {
    /** 18: Resize takes {@code axes} and the Reduce ops take axes as an input. LayerNormalization is in since 17. */
    static final int OPSET = 18;
    /** The IR version that goes with opset 18. */
    static final int IR_VERSION = 8;
    /** Symbolic batch dimension of a dynamic-batch input or output. */
    static final String BATCH = "batch";

    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final Set<String> initializers = new HashSet<>();
    private int counter;

    OnnxGraph(String name) {
        graph.setName(name);
    }

    /** Appends a node of {@code opType} with {@code outputs} outputs; returns their names. */
    String[] ops(String opType, int outputs, String[] inputs, AttributeProto... attributes) {
        String name = opType.toLowerCase() + "_" + counter++;
        NodeProto.Builder node = NodeProto.newBuilder().setOpType(opType).setName(name);
        String[] names = new String[outputs];
        for (int i = 0; i < outputs; i++) {
            names[i] = outputs == 1 ? name : name + "_" + i;
            node.addOutput(names[i]);
        }
        for (String input : inputs) {
            node.addInput(input);
        }
        for (AttributeProto a : attributes) {
            node.addAttribute(a);
        }
        graph.addNode(node);
        return names;
    }

    /** Appends a node of {@code opType} with one output; returns that output's name. */
    String op(String opType, String[] inputs, AttributeProto... attributes) {
        return ops(opType, 1, inputs, attributes)[0];
    }

    String op(String opType, String input, AttributeProto... attributes) {
        return op(opType, new String[] {input}, attributes);
    }

    String op(String opType, String a, String b, AttributeProto... attributes) {
        return op(opType, new String[] {a, b}, attributes);
    }

    /** Whether an initializer of that name exists: a weight used by every chunk is stored once. */
    boolean hasInitializer(String name) {
        return initializers.contains(name);
    }

    /** A float32 constant (a weight or a small constant) with the given dims, values row-major. */
    String floats(String name, float[] values, long... dims) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return initializer(name, TensorProto.DataType.FLOAT, bytes, dims);
    }

    /** An int64 vector constant (shapes, axes, sizes), one initializer per distinct value. */
    String int64s(long... values) {
        String name = "const_" + Arrays.toString(values).replaceAll("[\\[\\] ]", "");
        if (!hasInitializer(name)) {
            ByteBuffer bytes = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asLongBuffer().put(values);
            initializer(name, TensorProto.DataType.INT64, bytes, values.length);
        }
        return name;
    }

    /** A float32 scalar constant, one initializer per distinct value. */
    String scalar(float value) {
        String name = "const_" + value + "f";
        return hasInitializer(name) ? name : floats(name, new float[] {value});
    }

    private String initializer(String name, TensorProto.DataType type, ByteBuffer bytes, long... dims) {
        if (!initializers.add(name)) {
            throw new IllegalStateException("initializer " + name + " defined twice");
        }
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type.getNumber())
                .setRawData(ByteString.copyFrom(bytes.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return name;
    }

    /** Declares a graph input; a dim of -1 is the symbolic {@link #BATCH}. */
    void input(String name, TensorProto.DataType type, long... dims) {
        graph.addInput(valueInfo(name, type, dims));
    }

    /** Renames {@code value} to {@code name} (an Identity node) and declares it a graph output. */
    void output(String value, String name, TensorProto.DataType type, long... dims) {
        graph.addNode(NodeProto.newBuilder().setOpType("Identity").setName(name).addInput(value).addOutput(name));
        graph.addOutput(valueInfo(name, type, dims));
    }

    GraphProto build() {
        return graph.build();
    }

    private static ValueInfoProto valueInfo(String name, TensorProto.DataType type, long... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : dims) {
            shape.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam(BATCH)
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        TypeProto.Tensor tensor = TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape).build();
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(tensor)).build();
    }

    static AttributeProto attr(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    static AttributeProto attr(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    static AttributeProto attr(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFrom(value, StandardCharsets.UTF_8)).build();
    }

    static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    /** A TENSOR attribute holding one float (ConstantOfShape's {@code value}). */
    static AttributeProto scalarAttr(String name, float value) {
        TensorProto t = TensorProto.newBuilder().setDataType(TensorProto.DataType.FLOAT.getNumber()).addDims(1)
                .setRawData(ByteString.copyFrom(ByteBuffer.allocate(Float.BYTES).order(ByteOrder.LITTLE_ENDIAN)
                        .putFloat(value).array())).build();
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.TENSOR).setT(t).build();
    }
}
