package org.tlbjava.cli;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.tlbjava.config.TlbConfig;
import org.tlbjava.data.DataLocator;
import org.tlbjava.data.ImageSet;
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

    @Option(names = "--json", description = "End with one JSON line.")
    boolean json;

    @Override
    public Integer call() {
        TlbConfig config = configOptions.resolve().validate();
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
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("source", splits.source());
            out.put("train", splits.train().size());
            out.put("val", splits.val().size());
            out.put("test", splits.hasTest() ? splits.test().size() : 0);
            out.put("classes", splits.classes());
            out.put("train_per_class", splits.train().classCounts());
            out.put("val_per_class", splits.val().classCounts());
            System.out.println(Json.line(out));
        }
        return 0;
    }

    private static void printSplit(String name, ImageSet set) {
        StringBuilder counts = new StringBuilder();
        int[] perClass = set.classCounts();
        for (int c = 0; c < perClass.length; c++) {
            counts.append(c == 0 ? "" : ", ").append(set.classes().get(c)).append(' ').append(perClass[c]);
        }
        System.out.printf(Locale.ROOT, "%-8s %,d images (%s)%n", name + ":", set.size(), counts);
    }
}
