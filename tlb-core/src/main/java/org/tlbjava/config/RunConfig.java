package org.tlbjava.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.tlbjava.TlbException;
import org.tlbjava.UsageException;

/**
 * Everything a run is made of: the network, the data and the training recipe, each a record that
 * checks itself, and none of them changeable. {@link ConfigResolver} is where values come from
 * (defaults, preset, file, {@code --set}, flags, facts of the data); {@code config.json} is its
 * flat form, one key per value.
 */
public record RunConfig(ModelConfig model, DataConfig data, TrainConfig train) {
    public RunConfig {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(train, "train");
        List<String> problems = new ArrayList<>();
        int side = data.inputSide();
        int crop = model.imageSize();
        if (!data.padCrop() && side + data.resizeMargin() < crop) {
            problems.add("the random crop of image_size " + crop + " does not fit in the resized training"
                    + " image of input_shape + resize_margin = " + side + " + " + data.resizeMargin() + " = "
                    + (side + data.resizeMargin()) + "; raise resize_margin to at least " + (crop - side)
                    + " or lower image_size");
        }
        if (data.padCrop() && crop != side) {
            problems.add("augmentation pad_crop crops at the input size, so image_size must equal input_shape's side "
                    + side + ", got " + crop);
        }
        Checks.require(problems);
    }

    /** The reference's config, key for key. */
    public static RunConfig defaults() {
        return ConfigResolver.defaults().resolve();
    }

    /** A JSON config file over the defaults: keys it does not mention keep their defaults. */
    public static RunConfig load(Path file) {
        return ConfigResolver.defaults().file(file).resolve();
    }

    /** This config with {@code key=value} assignments applied, as {@code --set} applies them. */
    public RunConfig with(String... assignments) {
        ConfigResolver resolver = ConfigResolver.from(this);
        for (String assignment : assignments) {
            resolver.set(assignment);
        }
        return resolver.resolve();
    }

    /** The flat form, as written to config.json. */
    public String toJson() {
        return ConfigResolver.toJson(this);
    }

    /**
     * A config.json read back; {@code where} names it in errors, which are bad files (not usage).
     * A run saved before the {@code kernels} key trained on the eager path, and keeps to it.
     */
    public static RunConfig fromJson(String json, String where) {
        try {
            return ConfigResolver.defaults().set("kernels", TrainConfig.EAGER, "a run saved before the kernels key")
                    .json(json, where).resolve();
        } catch (InvalidConfigException e) {
            throw new TlbException(where + ": " + e.getMessage());
        } catch (UsageException e) { // names where already
            throw new TlbException(e.getMessage());
        }
    }

    /** Every config key, in config file order. */
    public static List<String> keys() {
        return List.copyOf(ConfigResolver.properties().keySet());
    }
}
