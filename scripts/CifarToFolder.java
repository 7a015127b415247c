import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Writes an own-images folder from CIFAR-10, for the README's worked example: the chosen classes'
 * first N training images as DIR/<class>/*.png|jpg (every other one a JPEG), and the next M as
 * DIR-test/<class>/ (images to predict; CIFAR's test batch may be absent), each enlarged
 * bicubically from 32x32 to SIDE x SIDE.
 *
 * <pre>java scripts/CifarToFolder.java CIFAR_BATCH_DIR OUT_DIR SIDE PER_CLASS TEST_PER_CLASS class...</pre>
 */
public final class CifarToFolder {
    private static final List<String> CLASSES =
            List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

    public static void main(String[] args) throws IOException {
        if (args.length < 7) {
            System.err.println("usage: java scripts/CifarToFolder.java CIFAR_BATCH_DIR OUT_DIR SIDE PER_CLASS"
                    + " TEST_PER_CLASS CLASS CLASS [CLASS...]   (classes: " + CLASSES + ")");
            System.exit(2);
        }
        Path cifar = Path.of(args[0]);
        Path out = Path.of(args[1]);
        int side = Integer.parseInt(args[2]);
        int perClass = Integer.parseInt(args[3]);
        int testPerClass = Integer.parseInt(args[4]);
        List<String> chosen = List.of(args).subList(5, args.length);
        for (String name : chosen) {
            if (!CLASSES.contains(name)) {
                throw new IllegalArgumentException("unknown CIFAR-10 class " + name + "; one of " + CLASSES);
            }
        }
        Map<String, Integer> written = new HashMap<>();
        Path testOut = out.resolveSibling(out.getFileName() + "-test");
        for (int b = 1; b <= 5; b++) {
            copy(cifar.resolve("data_batch_" + b + ".bin"), out, testOut, side, perClass, testPerClass, chosen, written);
        }
        System.out.println("wrote " + perClass + " images a class to " + out + " and " + testPerClass + " to " + testOut);
    }

    private static void copy(Path batch, Path out, Path testOut, int side, int limit, int testLimit, List<String> chosen,
            Map<String, Integer> written) throws IOException {
        byte[] pixels = new byte[3072];
        try (InputStream file = Files.newInputStream(batch); DataInputStream in = new DataInputStream(file)) {
            while (true) {
                int label;
                try {
                    label = in.readUnsignedByte();
                } catch (EOFException end) {
                    return;
                }
                in.readFully(pixels);
                String name = CLASSES.get(label);
                int n = written.getOrDefault(name, 0);
                if (!chosen.contains(name) || n >= limit + testLimit) {
                    continue;
                }
                BufferedImage small = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
                for (int p = 0; p < 1024; p++) {
                    int rgb = (pixels[p] & 0xff) << 16 | (pixels[1024 + p] & 0xff) << 8 | (pixels[2048 + p] & 0xff);
                    small.setRGB(p % 32, p / 32, rgb);
                }
                BufferedImage big = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
                Graphics2D g = big.createGraphics();
                g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
                g.drawImage(small, 0, 0, side, side, null);
                g.dispose();
                String format = n % 2 == 0 ? "png" : "jpg";
                Path target = (n < limit ? out : testOut).resolve(name).resolve(String.format("%s-%05d.%s", name, n, format));
                Files.createDirectories(target.getParent());
                ImageIO.write(big, format, target.toFile());
                written.put(name, n + 1);
            }
        }
    }
}
