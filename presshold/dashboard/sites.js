// Common trigger-point sites for the quick picker (order = "next point" cycle).
export const SITES = [
  "upper trapezius", "levator scapulae", "SCM", "scalenes", "suboccipitals", "infraspinatus",
  "supraspinatus", "rhomboid", "pectoralis minor", "quadratus lumborum", "gluteus medius",
  "piriformis", "tensor fasciae latae", "gastrocnemius", "soleus",
];
