package org.tlbjava.cli;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.nio.file.Path;
import org.tlbjava.UsageException;
import org.tlbjava.config.ModelConfig;
import org.tlbjava.config.ConfigResolver;
import org.tlbjava.config.RunConfig;
import org.tlbjava.data.DataLocator;
import org.tlbjava.data.Splits;
import org.tlbjava.model.SavedModel;
import org.tlbjava.model.TlbModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "summary", mixinStandardHelpOptions = true,
        description = {"Print the model as a Keras-style table: block, output shape, parameters.",
            "The head has the classes of --data, or of the run --model; 10 (CIFAR-10) without either.",
            "Every config key, its default and meaning: tlb config."})
final class SummaryCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions configOptions;

    @Mixin
    ImageSizeOption imageSizeOption;

    @Option(names = "--data", paramLabel = "DIR", description = "Size the head for this data's classes (CIFAR-10 directory or an image folder).")
    String data;

    @Option(names = "--model", paramLabel = "RUN_DIR", description = "Summarise the model of this run directory (its config and classes).")
    Path model;

    @Option(names = "--json", description = "End with one JSON line.")
    boolean json;

    @Override
    public Integer call() {
        RunConfig c = config();
        try (NDManager manager = NDManager.newBaseManager()) {
            TlbModel model = TlbModel.create(c, manager);
            Map<String, Long> counts = model.blockParameterCounts();
            Map<String, Long> cellCounts = model.cellParameterCounts();
            ModelConfig m = c.model();
            List<String[]> rows = new ArrayList<>();
            rows.add(row("patch_embedding (PatchEmbedding" + (m.convStem() ? ", conv stem" : "") + ")",
                    shape(m.numChunks(), c.model().chunkSize(), c.model().embedDim()), counts.get("patch_embedding")));
            rows.add(row(m.paper() ? "rnn (RNN over the paper's TLB cell)" : "rnn (RNN over CustomRecurrentCell)",
                    shape(c.model().chunkSize(), c.model().embedDim()), counts.get("rnn")));
            for (Map.Entry<String, Long> block : cellCounts.entrySet()) {
                rows.add(row("  " + block.getKey(), "", block.getValue()));
            }
            if (m.stateReadout()) {
                rows.add(row("state_layernorm (LayerNormalization)", shape(m.stateLength(), c.model().embedDim()),
                        counts.get("state_layernorm")));
                rows.add(row("gap over the state (GlobalAveragePooling1D)", shape(c.model().embedDim()), 0));
            } else {
                rows.add(row("gap (GlobalAveragePooling1D)", shape(c.model().embedDim()), 0));
            }
            rows.add(row("head (Dense)", shape(c.model().numClasses()), counts.get("head")));
            rows.add(0, new String[] {"Layer (type)", "Output Shape", "Param #"});
            int name = rows.stream().mapToInt(r -> r[0].length()).max().getAsInt();
            int shape = rows.stream().mapToInt(r -> r[1].length()).max().getAsInt();
            String line = "%-" + name + "s  %-" + shape + "s  %12s%n"; // columns as wide as their longest cell
            String rule = "─".repeat(name + shape + 16);
            System.out.println("Model: \"temporal_latent_bottleneck_model\" (variant " + m.variant() + ", readout "
                    + m.headReads() + ")");
            System.out.println(rule);
            for (int i = 0; i < rows.size(); i++) {
                System.out.printf(Locale.ROOT, line, (Object[]) rows.get(i));
                if (i == 0) {
                    System.out.println(rule);
                }
            }
            System.out.println(rule);
            System.out.printf(Locale.ROOT, " Total params: %,d%n Trainable params: %,d%n Non-trainable params: 0%n",
                    model.parameterCount(), model.parameterCount());
            if (json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("variant", m.variant());
                out.put("total_params", model.parameterCount());
                out.put("num_classes", c.model().numClasses());
                out.put("blocks", counts);
                out.put("cell_blocks", cellCounts);
                System.out.println(Json.line(out));
            }
        }
        return 0;
    }

    private RunConfig config() {
        if (model != null) {
            if (configOptions.given() || imageSizeOption.given() || data != null) {
                throw new UsageException("--model summarises the run's own model; --data, --image-size, --preset,"
                        + " --config and --set do not apply to it");
            }
            return SavedModel.readConfig(model);
        }
        ConfigResolver layers = configOptions.layers();
        imageSizeOption.apply(layers, data);
        if (data != null) {
            Splits splits = new DataLocator().load(data, layers.resolve());
            layers.dataClasses(splits.classes().size(), splits.source());
        }
        return layers.resolve();
    }

    private static String shape(int... dims) {
        StringBuilder s = new StringBuilder("(None");
        for (int d : dims) {
            s.append(", ").append(d);
        }
        return s.append(')').toString();
    }

    private static String[] row(String name, String shape, long params) {
        return new String[] {name, shape, String.format(Locale.ROOT, "%,d", params)};
    }
}
