package org.tlbjava.export;

import static org.tlbjava.export.OnnxGraph.attr;
import static org.tlbjava.export.OnnxGraph.ints;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.tlbjava.config.ModelConfig;
import org.tlbjava.config.RunConfig;
import org.tlbjava.export.proto.Onnx.TensorProto;
import org.tlbjava.model.TlbModel;

/**
 * The TLB network as ONNX nodes: one method per block of {@code org.tlbjava.model}, computing
 * what that block's forward method computes, in float32 and in the reference's unfolded form
 * (each LayerNorm with its own γ and β, the recurrence over the chunks unrolled). Both variants
 * (model.RecurrentCell, model.PaperCell), both readouts and both stems. Weights are found by the
 * model's block and parameter names ({@link Weights}).
 */
final class TlbGraph {
    /** As the model's LayerNorms (model.Norm). */
    private static final float LAYER_NORM_EPSILON = 1e-5f;
    /** As data.Augmentation's rescale. */
    private static final float RESCALE = (float) (1 / 255.0);

    private final OnnxGraph g;
    private final RunConfig c;
    private final ModelConfig m;

    /** One step of the recurrence: the new fast stream, the new slow state, the TLB attention. */
    record Step(String fast, String slow, String tlbProbs) {}

    /** An attention's (or attention + feed-forward's) output and the probabilities [batch, heads, queries, keys]. */
    record Attended(String out, String probs) {}

    TlbGraph(OnnxGraph graph, RunConfig config) {
        this.g = graph;
        this.c = config;
        this.m = config.model();
    }

    /** Probabilities [batch, classes] of uint8 images; {@code tlbProbs}, when not null, gets each chunk's TLB attention. */
    String classify(Weights model, String images, List<String> tlbProbs) {
        String[] chunks = chunks(patchEmbedding(model.child("patch_embedding"), preprocess(images)));
        Weights cell = model.child("rnn");
        String slow = initialState(cell, chunks[0]);
        String fast = null;
        for (String chunk : chunks) {
            Step step = m.paper() ? paperCell(cell, chunk, slow) : recurrentCell(cell, chunk, slow);
            fast = step.fast();
            slow = step.slow();
            if (tlbProbs != null) {
                tlbProbs.add(step.tlbProbs());
            }
        }
        return head(model, fast, slow);
    }

    /** data.Augmentation.eval: uint8 [batch, 3, H, W] to float, rescaled by 1/255 and resized to image_size. */
    String preprocess(String images) {
        String x = g.op("Cast", images, attr("to", (long) TensorProto.DataType.FLOAT.getNumber()));
        return resize(g.op("Mul", x, g.scalar(RESCALE)), c.model().imageSize());
    }

    /**
     * data.BilinearResize of the last two axes to side x side: half-pixel centres, no
     * antialiasing, samples outside the input clamped to its edge (what ONNX's linear Resize does).
     */
    private String resize(String x, int side) {
        return g.op("Resize", new String[] {x, "", "", g.int64s(side, side)}, attr("mode", "linear"),
                attr("coordinate_transformation_mode", "half_pixel"), ints("axes", 2, 3));
    }

    /**
     * model.PatchEmbedding: with stem=conv two 3x3 convolutions with ReLU first; the strided
     * convolution, tokens in row-major patch order, position embedding, LayerNorm.
     */
    private String patchEmbedding(Weights w, String images) {
        String x = images;
        if (m.convStem()) {
            x = g.op("Relu", conv(w, "stem_conv1", x, 3, 1, 1));
            x = g.op("Relu", conv(w, "stem_conv2", x, 3, 1, 1));
        }
        x = conv(w, "projection", x, c.model().patchSize(), c.model().patchSize(), 0);
        x = g.op("Reshape", x, g.int64s(0, c.model().embedDim(), -1));
        x = g.op("Transpose", x, ints("perm", 0, 2, 1)); // [batch, patches, dim]
        x = g.op("Add", x, weight(w, "position_embedding"));
        return layerNorm(w.child("layernorm"), x);
    }

    /** A size x size convolution with the parameters {@code name}_kernel and {@code name}_bias. */
    private String conv(Weights w, String name, String x, int size, int stride, int pad) {
        return g.op("Conv", new String[] {x, weight(w, name + "_kernel"), weight(w, name + "_bias")},
                ints("kernel_shape", size, size), ints("strides", stride, stride), ints("pads", pad, pad, pad, pad));
    }

    /** The patches split into chunks of chunk_size tokens, each [batch, chunk_size, dim]. */
    private String[] chunks(String tokens) {
        int n = m.numChunks();
        return g.ops("Split", n, new String[] {tokens}, attr("axis", 1L), attr("num_outputs", (long) n));
    }

    /**
     * The cell's initialState: zeros [batch, state vectors, embed_dim] (a keras state is as long as
     * a chunk), plus the paper cell's learned {@code initial_state} when it has one.
     */
    private String initialState(Weights cell, String chunk) {
        String batch = g.op("Shape", chunk, attr("end", 1L));
        String shape = g.op("Concat", new String[] {batch, g.int64s(m.stateLength(), m.embedDim())}, attr("axis", 0L));
        String zeros = g.op("ConstantOfShape", shape, OnnxGraph.scalarAttr("value", 0f));
        return m.learnedState() ? g.op("Add", zeros, weight(cell, "initial_state")) : zeros;
    }

    /**
     * model.RecurrentCell: the perceptual module's blocks in order, each on the fast stream and,
     * at list positions divisible by r, then on the fast stream against the slow state; then the
     * TLB block updates the slow state from the new fast stream.
     */
    private Step recurrentCell(Weights cell, String inputs, String slow) {
        Weights tlbModule = cell.child("tlb_cross_attn_ffn");
        List<Weights> perceptualModule = new ArrayList<>(cell.children());
        perceptualModule.removeIf(b -> b.name().equals(tlbModule.name()));
        String fast = inputs;
        for (int i = 0; i < perceptualModule.size(); i++) {
            Weights block = perceptualModule.get(i);
            fast = attentionWithFfn(block, "fast_attention", fast, fast).out();
            if (i % c.model().r() == 0) {
                fast = attentionWithFfn(block, "slow_attention", fast, slow).out();
            }
        }
        Attended tlb = attentionWithFfn(tlbModule, "fast_attention", slow, fast);
        return new Step(fast, tlb.out(), tlb.probs());
    }

    /**
     * model.PaperCell: the state plus its fixed sinusoidal position embedding is the memory; each
     * layer's self-attention block and, at layers divisible by r, the block reading the memory;
     * then the bottleneck block, in which the memory queries the chunk, gives the new state (less
     * the embedding, which is added afresh at each step).
     */
    private Step paperCell(Weights cell, String chunk, String state) {
        String position = initializer(cell.path() + ".state_position",
                () -> new Weights.Tensor(TlbModel.statePositionEmbedding(m), new long[] {m.stateTokens(), m.embedDim()}));
        String memory = g.op("Add", state, position);
        String fast = chunk;
        for (int i = 0; i < m.numLayers(); i++) {
            fast = attentionBlock(cell.child("self_attn_" + i), fast, fast).out();
            if (i % m.r() == 0) {
                fast = attentionBlock(cell.child("read_state_" + i), fast, memory).out();
            }
        }
        Attended update = attentionBlock(cell.child("bottleneck"), memory, fast);
        return new Step(fast, g.op("Sub", update.out(), position), update.probs()); // the embedding does not accumulate
    }

    /** model.AttentionBlock: its attention, then its feed-forward. */
    private Attended attentionBlock(Weights w, String query, String keyValue) {
        return attentionWithFfn(w, "attention", query, keyValue);
    }

    /** model.AttentionWithFfn (and AttentionBlock): one of its attentions, then its feed-forward. */
    private Attended attentionWithFfn(Weights w, String attention, String query, String keyValue) {
        Attended attended = attention(w.child(attention), query, keyValue);
        return new Attended(feedForward(w.child("ffn"), attended.out()), attended.probs());
    }

    /** model.Attention: LayerNorms on query, key and value, multi-head attention, residual from the query. */
    private Attended attention(Weights w, String query, String keyValue) {
        String q = dense(w.child("query"), layerNorm(w.child("q_layernorm"), query));
        q = g.op("Mul", q, g.scalar((float) (1.0 / Math.sqrt(c.model().keyDim()))));
        String k = dense(w.child("key"), layerNorm(w.child("k_layernorm"), keyValue));
        String v = dense(w.child("value"), layerNorm(w.child("v_layernorm"), keyValue));
        String scores = g.op("MatMul", splitHeads(q, 0, 2, 1, 3), splitHeads(k, 0, 2, 3, 1));
        String probs = g.op("Softmax", scores, attr("axis", -1L));
        String mixed = g.op("Transpose", g.op("MatMul", probs, splitHeads(v, 0, 2, 1, 3)), ints("perm", 0, 2, 1, 3));
        mixed = g.op("Reshape", mixed, g.int64s(0, 0, (long) c.model().numHeads() * c.model().keyDim()));
        return new Attended(g.op("Add", query, dense(w.child("attention_output"), mixed)), probs);
    }

    /** [batch, tokens, heads*key_dim] to [batch, tokens, heads, key_dim], then axes permuted by {@code perm}. */
    private String splitHeads(String x, long... perm) {
        return g.op("Transpose", g.op("Reshape", x, g.int64s(0, 0, c.model().numHeads(), c.model().keyDim())), ints("perm", perm));
    }

    /** model.FeedForward: x + W2 gelu(W1 LN(x)), exact GELU. */
    private String feedForward(Weights w, String x) {
        String hidden = gelu(dense(w.child("dense_expand"), layerNorm(w.child("layernorm"), x)));
        return g.op("Add", x, dense(w.child("dense_project"), hidden));
    }

    /** x Φ(x) = x (1 + erf(x / √2)) / 2: opset 18 has no Gelu; runtimes fuse this pattern into one. */
    private String gelu(String x) {
        String erf = g.op("Erf", g.op("Div", x, g.scalar((float) Math.sqrt(2))));
        return g.op("Mul", g.op("Mul", x, g.op("Add", erf, g.scalar(1f))), g.scalar(0.5f));
    }

    /**
     * model.TlbModel's readout and head: the last fast stream averaged over its tokens
     * (last_chunk), or the final state LayerNormed and averaged over its vectors (state); a dense
     * layer, softmax.
     */
    private String head(Weights model, String fast, String state) {
        String features = m.stateReadout() ? layerNorm(model.child("state_layernorm"), state) : fast;
        String pooled = g.op("ReduceMean", features, g.int64s(1), attr("keepdims", 0L));
        return g.op("Softmax", dense(model.child("head"), pooled), attr("axis", -1L));
    }

    /**
     * explain.AttentionMaps: each chunk's TLB (bottleneck) attention, max over the state queries, mean over
     * the heads, laid out on the patch grid and upsampled bilinearly to [batch, image_size, image_size].
     */
    String attentionMaps(List<String> tlbProbs) {
        String[] perChunk = new String[tlbProbs.size()];
        for (int i = 0; i < perChunk.length; i++) {
            String max = g.op("ReduceMax", tlbProbs.get(i), g.int64s(2), attr("keepdims", 0L));
            perChunk[i] = g.op("ReduceMean", max, g.int64s(1), attr("keepdims", 0L));
        }
        int grid = c.model().imageSize() / c.model().patchSize();
        String patches = g.op("Reshape", g.op("Concat", perChunk, attr("axis", 1L)), g.int64s(0, 1, grid, grid));
        return g.op("Reshape", resize(patches, c.model().imageSize()), g.int64s(0, c.model().imageSize(), c.model().imageSize()));
    }

    /** model.Dense: x W + b; the model stores W as (out, in), MatMul wants (in, out). */
    private String dense(Weights w, String x) {
        String transposed = initializer(w.path() + ".weight", () -> {
            Weights.Tensor weight = w.tensor("weight");
            int out = (int) weight.shape()[0];
            int in = (int) weight.shape()[1];
            float[] values = new float[in * out];
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    values[i * out + o] = weight.values()[o * in + i];
                }
            }
            return new Weights.Tensor(values, new long[] {in, out});
        });
        return g.op("Add", g.op("MatMul", x, transposed), weight(w, "bias"));
    }

    /** model.Norm: LayerNorm over the last axis with the block's γ and β. */
    private String layerNorm(Weights w, String x) {
        return g.op("LayerNormalization", new String[] {x, weight(w, "gamma"), weight(w, "beta")},
                attr("axis", -1L), attr("epsilon", LAYER_NORM_EPSILON));
    }

    /** A parameter as stored by the model, as an initializer named by its place in the model. */
    private String weight(Weights w, String name) {
        return initializer(w.path() + "." + name, () -> w.tensor(name));
    }

    /** The initializer {@code name}, made from {@code tensor} the first time (later chunks reuse it). */
    private String initializer(String name, Supplier<Weights.Tensor> tensor) {
        if (!g.hasInitializer(name)) {
            Weights.Tensor t = tensor.get();
            g.floats(name, t.values(), t.shape());
        }
        return name;
    }
}
