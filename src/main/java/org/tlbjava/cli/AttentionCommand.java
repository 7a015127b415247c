package org.tlbjava.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.tlbjava.UsageException;
import org.tlbjava.config.TlbConfig;
import org.tlbjava.data.Batch;
import org.tlbjava.data.BatchLoader;
import org.tlbjava.data.ImageSet;
import org.tlbjava.explain.AttentionImages;
import org.tlbjava.explain.AttentionMaps;
import org.tlbjava.io.AtomicFiles;
import org.tlbjava.model.TlbModel;
import org.tlbjava.train.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "attention", mixinStandardHelpOptions = true,
        description = "Draw the TLB attention map over chosen images, as the reference does (one PNG each, and a grid).")
final class AttentionCommand implements Callable<Integer> {
    private static final int ZOOM = 4;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SplitOptions splitOptions;

    @Option(names = "--count", paramLabel = "N", description = "The first N images of the split (default ${DEFAULT-VALUE}), unless --index is given.", defaultValue = "8")
    int count;

    @Option(names = "--index", paramLabel = "I", description = "Image index in the split (repeatable).")
    List<Integer> indices = new ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: RUN_DIR/attention).")
    Path out;

    @Override
    public Integer call() throws Exception {
        RunDirectory run = new RunDirectory(modelOptions.model);
        Path dir = out != null ? out : modelOptions.model.resolve("attention");
        try (NDManager manager = NDManager.newBaseManager()) {
            TlbModel model = run.loadModel(manager);
            List<String> classes = run.readClasses();
            TlbConfig config = model.config();
            ImageSet set = splitOptions.load(config, classes);
            int[] chosen = chosen(set.size());
            Batch batch = BatchLoader.evaluation(set.select(chosen), config, chosen.length).build(0);
            List<NDArray> maps = new ArrayList<>();
            NDArray images = manager.create(batch.images(), new Shape(batch.size(), 3, config.imageSize, config.imageSize));
            float[] probs = model.forward(new ParameterStore(manager, false), images, false, maps).softmax(-1).toFloatArray();
            float[][] heat = AttentionMaps.heatMaps(maps, config);
            List<BufferedImage> overlays = new ArrayList<>();
            List<String> titles = new ArrayList<>();
            int per = 3 * config.imageSize * config.imageSize;
            for (int i = 0; i < chosen.length; i++) {
                BufferedImage image = AttentionImages.image(batch.images(), i * per, config.imageSize);
                BufferedImage pair = AttentionImages.sideBySide(image, heat[i], ZOOM);
                Path file = dir.resolve(String.format("%s-%05d.png", splitOptions.split, chosen[i]));
                AtomicFiles.write(file, stream -> ImageIO.write(pair, "png", stream));
                overlays.add(AttentionImages.overlay(image, heat[i]));
                int predicted = argMax(probs, i * classes.size(), classes.size());
                titles.add("true: " + classes.get(batch.labels()[i]) + " / pred: " + classes.get(predicted));
                System.out.println(file + "  " + titles.get(i));
            }
            BufferedImage grid = AttentionImages.grid(overlays, titles, 3);
            Path gridFile = dir.resolve("grid.png");
            AtomicFiles.write(gridFile, stream -> ImageIO.write(grid, "png", stream));
            System.out.println(gridFile);
        }
        return 0;
    }

    private int[] chosen(int size) {
        if (!indices.isEmpty()) {
            for (int i : indices) {
                if (i < 0 || i >= size) {
                    throw new UsageException("--index " + i + " is outside the " + splitOptions.split + " split (0.." + (size - 1) + ")");
                }
            }
            return indices.stream().mapToInt(Integer::intValue).toArray();
        }
        if (count <= 0) {
            throw new UsageException("--count must be positive, got " + count);
        }
        int n = Math.min(count, size);
        int[] first = new int[n];
        for (int i = 0; i < n; i++) {
            first[i] = i;
        }
        return first;
    }

    private static int argMax(float[] values, int from, int n) {
        int best = 0;
        for (int c = 1; c < n; c++) {
            if (values[from + c] > values[from + best]) {
                best = c;
            }
        }
        return best;
    }
}
