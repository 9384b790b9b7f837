// Common trigger-point sites for the quick picker, neck and shoulder first (where headache and
// neck-pain referral patterns start), then back, hip and leg; the order is the "next point" cycle.
export const SITES = [
  "upper trapezius", "levator scapulae", "SCM", "suboccipitals", "scalenes", "masseter", "temporalis",
  "infraspinatus", "supraspinatus", "rhomboid", "pectoralis minor", "quadratus lumborum",
  "gluteus medius", "piriformis", "tensor fasciae latae", "gastrocnemius", "soleus",
];
