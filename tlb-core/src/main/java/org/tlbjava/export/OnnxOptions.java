package org.tlbjava.export;

import org.tlbjava.TlbException;

/**
 * What an exported file holds besides the classifier.
 *
 * @param fixedBatch the input's batch size, or 0 for a dynamic one
 * @param attentionMaps whether the graph also outputs {@code attention}, the TLB attention heat maps
 */
public record OnnxOptions(int fixedBatch, boolean attentionMaps) {
    public OnnxOptions {
        if (fixedBatch < 0) {
            throw new TlbException("the batch size must be positive (or dynamic), got " + fixedBatch);
        }
    }

    /** A dynamic batch and probabilities only. */
    public static final OnnxOptions DEFAULT = new OnnxOptions(0, false);
}
