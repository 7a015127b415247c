package org.tlbjava.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.tlbjava.config.ConfigResolver;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.DataLocator;
import org.tlbjava.data.ImageSet;
import org.tlbjava.data.Resolution;
import org.tlbjava.data.Splits;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "data", mixinStandardHelpOptions = true,
        description = "Show what data was found: source, classes, split sizes and per-class counts.")
final class DataCommand implements Callable<Integer> {
    @Option(names = "--data", paramLabel = "DIR", description = "CIFAR-10 directory or archive, or an image folder (default: $TLB_DATA, else ~/.cache/tlb).")
    String data;

    @Mixin
    ConfigOptions configOptions;

    @Mixin
    ImageSizeOption imageSizeOption;

    @Option(names = "--json", description = "End with one JSON line.")
    boolean json;

    @Override
    public Integer call() {
        ConfigResolver layers = configOptions.layers();
        imageSizeOption.apply(layers, data);
        RunConfig config = layers.resolve();
        Splits splits = new DataLocator().load(data, config);
        System.out.println("Source:  " + splits.source());
        System.out.println("Classes: " + String.join(", ", splits.classes()));
        printSplit("train", splits.train());
        printSplit("val", splits.val());
        if (splits.hasTest()) {
            printSplit("test", splits.test());
        } else {
            System.out.println("test:    none (no test split in this data; use --split val)");
        }
        List<String> resolution = Resolution.describe(config, splits.fileSizes());
        resolution.forEach(line -> System.out.println("Resolution: " + line));
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("source", splits.source());
            out.put("train", splits.train().size());
            out.put("val", splits.val().size());
            out.put("test", splits.hasTest() ? splits.test().size() : 0);
            out.put("classes", splits.classes());
            out.put("train_per_class", splits.train().classCounts());
            out.put("val_per_class", splits.val().classCounts());
            out.put("image_size", config.model().imageSize());
            out.put("input_shape", config.data().inputShape());
            out.put("resize_margin", config.data().resizeMargin());
            out.put("file_sizes", splits.fileSizes() == null ? null : splits.fileSizes().text());
            out.put("resolution", resolution);
            System.out.println(Json.line(out));
        }
        return 0;
    }

    private static void printSplit(String name, ImageSet set) {
        System.out.printf(Locale.ROOT, "%-8s %,d images (%s)%n", name + ":", set.size(), Splits.perClass(set));
    }
}
