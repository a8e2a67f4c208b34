"""Looking inside a network: summary, feature maps, filters, statistics, Grad-CAM, evaluation."""
