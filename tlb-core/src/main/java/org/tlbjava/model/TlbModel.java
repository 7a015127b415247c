package org.tlbjava.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.tlbjava.config.ModelConfig;
import org.tlbjava.config.RunConfig;

/**
 * The reference's {@code TemporalLatentBottleneckModel}: patch embedding, a recurrent cell run over
 * the chunks (the example's {@link RecurrentCell}, or the paper's {@link PaperCell}), then the
 * readout: the last chunk's fast stream averaged over its tokens (the example's), or the final
 * state LayerNormed and averaged over its vectors (the paper's), and a dense head.
 * {@link #forward} returns logits in float32; softmax of them is the reference's output.
 */
public final class TlbModel extends Module {
    private final RunConfig config;
    private final ModelConfig shape;
    private final PatchEmbedding patchLayer;
    private final Module cellBlock;
    private final Cell cell;
    private final Norm stateNorm;
    private final Dense head;
    private final Dropout dropout = new Dropout();
    /** The fused path's arrays for this replica's training passes (one thread trains a replica at a time). */
    private final FusedPass.Workspace workspace = new FusedPass.Workspace();

    TlbModel(RunConfig config) {
        this.config = config;
        this.shape = config.model();
        patchLayer = addChildBlock("patch_embedding", new PatchEmbedding(shape));
        if (shape.paper()) {
            PaperCell paper = new PaperCell(shape, dropout);
            cellBlock = addChildBlock("rnn", paper);
            cell = paper;
        } else {
            RecurrentCell keras = new RecurrentCell(shape, dropout);
            cellBlock = addChildBlock("rnn", keras);
            cell = keras;
        }
        stateNorm = shape.stateReadout() ? addChildBlock("state_layernorm", new Norm(shape.embedDim())) : null;
        head = addChildBlock("head", new Dense(shape.embedDim(), shape.numClasses()));
    }

    /** Held while the engine's generator is seeded and draws initial weights, so runs on several threads stay seeded. */
    private static final Object SEEDED_INITIALISATION = new Object();

    /** A model with fresh weights drawn from {@code config.train().seed()}: the same seed gives the same weights. */
    public static TlbModel create(RunConfig config, NDManager manager) {
        MemoryEstimate.requireFits(config, 1, 0, false);
        TlbModel model = new TlbModel(config);
        synchronized (SEEDED_INITIALISATION) { // the engine's generator is process-wide: one seeded draw at a time
            Engine.getInstance().setRandomSeed((int) config.train().seed());
            model.initialize(manager, DataType.FLOAT32, new Shape(1, 3, config.model().imageSize(), config.model().imageSize()));
        }
        return model;
    }

    /** The parameter count of {@code config}'s model, from the declared shapes: nothing is allocated. */
    public static long parameterCount(RunConfig config) {
        return new TlbModel(config).parameterCount();
    }

    public RunConfig config() {
        return config;
    }

    Cell cell() {
        return cell;
    }

    /**
     * The paper cell's fixed state position embedding for {@code c}, [state_tokens, embed_dim]
     * row-major: not a parameter, so exporters take it from here.
     */
    public static float[] statePositionEmbedding(ModelConfig c) {
        return PaperCell.sinusoid(c.stateTokens(), c.embedDim());
    }

    /** Restarts the dropout masks' random sequence: the same seed gives the same masks. */
    public void reseedDropout(long seed) {
        dropout.reseed(seed);
    }

    /** Logits [batch, classes] for images [batch, 3, image_size, image_size]. */
    public NDArray forward(ParameterStore ps, NDArray images, boolean training) {
        return forward(ps, images, training, null);
    }

    /**
     * Logits, and when {@code bottleneckAttention} is not null, the bottleneck's attention of the
     * state over each chunk's tokens appended to it in order, each [batch, heads, state vectors,
     * chunk_size].
     */
    public NDArray forward(ParameterStore ps, NDArray images, boolean training, List<NDArray> bottleneckAttention) {
        Pass pass = new Pass(this, ps, training, images.getManager(), shape.embedDim());
        if (fused() && bottleneckAttention == null) {
            FusedPass fusedPass = new FusedPass(pass, dropout, null);
            FusedRecurrence.Tape tape = fusedCell(fusedPass, patchLayer.fusedForward(fusedPass, pass, images));
            return readout(pass, readIn(images.getManager(), tape, false));
        }
        NDArray chunks = patchLayer.forward(pass, images);
        NDArray state = cell.initialState(pass, chunks);
        NDArray fast = null;
        // One split, not a select per chunk: each select's backward pass writes a zero-filled
        // gradient of the whole [batch, chunks, ...] input; the split's is a single concatenation.
        NDList perChunk = chunks.split(shape.numChunks(), 1);
        for (int c = 0; c < shape.numChunks(); c++) {
            Cell.Step step;
            // A chunk's intermediates are released as soon as it is done (the backward pass keeps
            // what it needs): eval-mode memory is one chunk's, and freed buffers are reused warm.
            try (NDScope chunkScope = new NDScope()) {
                step = cell.call(pass, perChunk.get(c).squeeze(1), state);
                NDScope.unregister(step.fast(), step.state(), step.bottleneckProbs());
            }
            pass.endChunk();
            NDScope.register(step.fast());
            NDScope.register(step.state());
            NDScope.register(step.bottleneckProbs());
            fast = step.fast();
            state = step.state();
            if (bottleneckAttention != null) {
                bottleneckAttention.add(step.bottleneckProbs());
            }
        }
        return readout(pass, shape.stateReadout() ? state : fast);
    }

    /** Logits from what the head reads: the last state (LayerNormed) or the last chunk's fast stream, averaged over its vectors. */
    private NDArray readout(Pass pass, NDArray read) {
        NDArray features = stateNorm != null ? stateNorm.forward(pass, read).mean(new int[] {1}) : read.mean(new int[] {1});
        return head.forward(pass, features);
    }

    /** The logits and loss of a training micro-batch. */
    public record Trained(NDArray logits, NDArray loss) {}

    /**
     * A training pass: logits, the loss {@code lossOf} gives them, and that loss's gradient added
     * to the parameters' gradients. On the fused path the recurrent cell and the patch stem run in
     * Java; the engine runs the conv stem, the readout, the head and the loss with their backward
     * passes.
     */
    public Trained train(ParameterStore ps, NDArray images, UnaryOperator<NDArray> lossOf) {
        if (!fused()) {
            NDArray logits = forward(ps, images, true);
            NDArray loss = lossOf.apply(logits);
            backward(loss);
            return new Trained(logits, loss);
        }
        NDManager manager = images.getManager();
        Pass pass = new Pass(this, ps, true, manager, shape.embedDim());
        FusedPass fusedPass = new FusedPass(pass, dropout, workspace);
        PatchEmbedding.FusedTokens tokens = patchLayer.fusedForward(fusedPass, pass, images);
        FusedRecurrence.Tape tape = fusedCell(fusedPass, tokens);
        NDArray read = readIn(manager, tape, true);
        NDArray logits = readout(pass, read);
        NDArray loss = lossOf.apply(logits);
        backward(loss);
        float[] dRead = read.getGradient().toFloatArray();
        int batch = tape.batch();
        float[] dTokens = fusedPass.zeros(batch * shape.numPatches() * shape.embedDim());
        float[] dInitial = cell.fused().backward(fusedPass, tape, shape.stateReadout() ? null : dRead,
                shape.stateReadout() ? dRead : null, dTokens);
        cell.fusedInitialStateBackward(fusedPass, dInitial, batch);
        patchLayer.fusedBackward(fusedPass, tokens, dTokens, manager);
        fusedPass.addGradientsToEngine(manager);
        return new Trained(logits, loss);
    }

    /** Backpropagates a scalar loss into the parameters' gradients. */
    private static void backward(NDArray loss) {
        FusedPass.backward(loss, new float[] {1f}, loss.getManager());
    }

    /** Whether this model's recurrent cell runs on the fused path. */
    private boolean fused() {
        return Kernels.choose(config).fused();
    }

    private FusedRecurrence.Tape fusedCell(FusedPass fusedPass, PatchEmbedding.FusedTokens tokens) {
        return cell.fused().forward(fusedPass, tokens.tokens(), cell.fusedInitialState(fusedPass, tokens.batch()),
                tokens.batch());
    }

    /** What the head reads of the fused cell's output, as the engine's array; a gradient is kept for it when {@code training}. */
    private NDArray readIn(NDManager manager, FusedRecurrence.Tape tape, boolean training) {
        boolean state = shape.stateReadout();
        int vectors = state ? shape.stateLength() : shape.chunkSize();
        Shape readShape = new Shape(tape.batch(), vectors, shape.embedDim());
        NDArray read = manager.create(FloatBuffer.wrap(state ? tape.state() : tape.fast(), 0, Math.toIntExact(readShape.size())),
                readShape);
        if (training) {
            read.setRequiresGradient(true);
        }
        return read;
    }

    /**
     * Class probabilities [batch, classes] in eval mode; with {@code flipTta}, the mean of the
     * softmax of each image and of its mirror image (horizontal flip).
     */
    public NDArray probabilities(ParameterStore ps, NDArray images, boolean flipTta) {
        NDArray probs = forward(ps, images, false).softmax(-1);
        if (!flipTta) {
            return probs;
        }
        return probs.add(forward(ps, images.flip(3), false).softmax(-1)).div(2);
    }

    /**
     * Whether weight decay in {@code weights} mode applies to the parameter: kernels of dense and
     * convolution layers do; biases, LayerNorm scales and shifts, position embeddings and a
     * learned initial state do not (they set offsets and scales, not feature detectors).
     */
    public static boolean isDecayedWeight(String name, Parameter parameter) {
        return parameter.getType() == Parameter.Type.WEIGHT && !name.endsWith("embedding")
                && !name.endsWith("initial_state");
    }

    /** Trainable parameter counts of the top-level blocks, in order, as the summary lists them. */
    public Map<String, Long> blockParameterCounts() {
        return parameterCounts(this);
    }

    /** Trainable parameter counts of the recurrent cell's blocks, in order. */
    public Map<String, Long> cellParameterCounts() {
        return parameterCounts(cellBlock);
    }

    private static Map<String, Long> parameterCounts(Module block) {
        Map<String, Long> counts = new LinkedHashMap<>();
        long own = block.parameterCount();
        for (Pair<String, Block> child : block.getChildren()) {
            long count = ((Module) child.getValue()).parameterCount();
            counts.put(child.getKey().replaceFirst("^\\d+", ""), count);
            own -= count;
        }
        if (own > 0) {
            counts.put("(own parameters)", own);
        }
        return counts;
    }
}
