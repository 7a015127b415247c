package org.tlbjava.explain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.Augmentation;
import org.tlbjava.data.ImageFolder;
import org.tlbjava.export.OnnxExporter;
import org.tlbjava.export.OnnxOptions;
import org.tlbjava.model.SavedModel;
import org.tlbjava.model.TlbModel;

/**
 * A trained model for use from Java:
 * <pre>
 *   try (TlbClassifier classifier = TlbClassifier.load(Path.of("runs/cifar10"))) {
 *       Prediction p = classifier.predict(image);          // any BufferedImage
 *       System.out.println(p.className() + " " + p.probability());
 *       float[][] heat = classifier.attention(image);      // 48 x 48 TLB attention map
 *   }
 * </pre>
 * Images are prepared like evaluation data: scaled to the training input size (32 x 32 for
 * CIFAR-10), then resized to the model's image size. Thread-safe: calls are serialised.
 */
public final class TlbClassifier implements AutoCloseable {
    private final NDManager manager;
    private final TlbModel model;
    private final List<String> classes;
    private final Augmentation augmentation;
    private final ParameterStore ps;

    private TlbClassifier(NDManager manager, TlbModel model, List<String> classes) {
        this.manager = manager;
        this.model = model;
        this.classes = classes;
        RunConfig c = model.config();
        this.augmentation = new Augmentation(c, c.data().inputSide(), c.data().inputSide());
        this.ps = new ParameterStore(manager, false);
    }

    /** A prediction with its TLB attention heat map (row-major, image_size²) and the image as the network saw it. */
    public record Explanation(Prediction prediction, float[] heat, BufferedImage input) {}

    /** Loads {@code model.params}, {@code config.json} and {@code classes.json} from a run directory. */
    public static TlbClassifier load(Path runDirectory) {
        NDManager manager = NDManager.newBaseManager();
        try {
            return new TlbClassifier(manager, SavedModel.load(runDirectory, manager),
                    SavedModel.readClasses(SavedModel.runDirectory(runDirectory)));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public List<String> classes() {
        return classes;
    }

    public RunConfig config() {
        return model.config();
    }

    public synchronized Prediction predict(BufferedImage image) {
        return predictAll(List.of(image)).get(0);
    }

    /** Classifies several images in one batch (with flip test-time augmentation when the run's tta_flip is set). */
    public synchronized List<Prediction> predictAll(List<BufferedImage> images) {
        try (NDScope temporaries = new NDScope()) {
            return predictions(model.probabilities(ps, batch(images), model.config().model().ttaFlip()), images.size());
        }
    }

    /** The TLB attention heat map of {@code image}, [image_size][image_size]. */
    public synchronized float[][] attention(BufferedImage image) {
        int side = model.config().model().imageSize();
        float[] flat = explainAll(List.of(image)).get(0).heat();
        float[][] grid = new float[side][side];
        for (int y = 0; y < side; y++) {
            System.arraycopy(flat, y * side, grid[y], 0, side);
        }
        return grid;
    }

    /**
     * Classifies several images in one batch and explains each: the bottleneck's attention of
     * the state over the patches (both variants), as a heat map over the image.
     */
    public synchronized List<Explanation> explainAll(List<BufferedImage> images) {
        try (NDScope temporaries = new NDScope()) {
            NDArray input = batch(images);
            List<NDArray> maps = new ArrayList<>();
            List<Prediction> predictions = predictions(model.forward(ps, input, false, maps).softmax(-1), images.size());
            float[][] heat = AttentionMaps.heatMaps(maps, model.config());
            float[] pixels = input.toFloatArray();
            int side = model.config().model().imageSize();
            List<Explanation> out = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                out.add(new Explanation(predictions.get(i), heat[i], AttentionImages.image(pixels, i * 3 * side * side, side)));
            }
            return out;
        }
    }

    private List<Prediction> predictions(NDArray probabilities, int count) {
        float[] probs = probabilities.toFloatArray();
        List<Prediction> out = new ArrayList<>();
        int n = classes.size();
        for (int i = 0; i < count; i++) {
            float[] row = new float[n];
            System.arraycopy(probs, i * n, row, 0, n);
            out.add(new Prediction(classes, row));
        }
        return out;
    }

    /**
     * This model run by ONNX Runtime: the same predictions, faster on small batches. Independent
     * of this classifier once made; the caller closes it.
     */
    public synchronized OnnxClassifier onnxRuntime() {
        RunConfig c = model.config();
        return new OnnxClassifier(OnnxExporter.bytes(model, classes, OnnxOptions.DEFAULT), classes, c.data().inputSide(),
                c.model().ttaFlip());
    }

    /**
     * Writes this model as a standard ONNX file with a dynamic batch: input {@code images}, uint8
     * RGB [batch, 3, H, W] at the input size, preprocessing included; output {@code probabilities}.
     */
    public void exportOnnx(Path file) {
        exportOnnx(file, OnnxOptions.DEFAULT);
    }

    /** {@link #exportOnnx(Path)} with a fixed batch size or the attention maps as a second output. */
    public synchronized void exportOnnx(Path file, OnnxOptions options) {
        OnnxExporter.export(model, classes, file, options);
    }

    private NDArray batch(List<BufferedImage> images) {
        RunConfig c = model.config();
        int per = augmentation.outputSize();
        float[] data = new float[images.size() * per];
        float[] scratch = augmentation.newScratch();
        for (int i = 0; i < images.size(); i++) {
            byte[] pixels = ImageFolder.toPlanarRgb(images.get(i), c.data().inputSide());
            augmentation.eval(pixels, 0, scratch, data, i * per);
        }
        return manager.create(data, new Shape(images.size(), 3, c.model().imageSize(), c.model().imageSize()));
    }

    @Override
    public synchronized void close() {
        manager.close();
    }
}
