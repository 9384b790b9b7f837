#include "hx711_part.h"

#include <simavr/sim_cycle_timers.h>
#include <simavr/sim_time.h>
#include <string.h>

#define HX711_PERIOD_US 12500 /* 80 SPS */
#define HX711_POWER_DOWN_US 60

static void set_dout(hx711_t *h, int level) { avr_raise_irq(h->irq + HX711_IRQ_DOUT, level); }

static avr_cycle_count_t on_conversion(avr_t *avr, avr_cycle_count_t when, void *param) {
  hx711_t *h = (hx711_t *)param;
  if (h->pulses != 0) {
    h->reads++;
    if (h->pulses < 25 || h->pulses > 27) h->bad_reads++;
  }
  h->pulses = 0;
  if (h->sck_high && avr->cycle - h->sck_rise > avr_usec_to_cycles(avr, HX711_POWER_DOWN_US))
    h->powered_down = 1;
  if (h->unplugged || h->powered_down) {
    set_dout(h, 1);
  } else {
    h->data = h->sample(h->ctx, (double)avr->cycle / (double)avr->frequency);
    h->conversions++;
    set_dout(h, 0);
  }
  return when + avr_usec_to_cycles(avr, HX711_PERIOD_US);
}

static void on_sck(struct avr_irq_t *irq, uint32_t value, void *param) {
  hx711_t *h = (hx711_t *)param;
  (void)irq;
  if (value && !h->sck_high) {
    h->sck_high = 1;
    h->sck_rise = h->avr->cycle;
    if (h->unplugged || h->powered_down) return;
    h->pulses++;
    if (h->pulses <= 24)
      set_dout(h, (int)(((uint32_t)h->data >> (24 - h->pulses)) & 1u));
    else
      set_dout(h, 1); /* gain select pulse(s): DOUT back high until the next conversion */
  } else if (!value && h->sck_high) {
    h->sck_high = 0;
    if (h->powered_down) h->powered_down = 0; /* SCK low wakes the chip (datasheet) */
  }
}

void hx711_init(avr_t *avr, hx711_t *h, hx711_sample_fn sample, void *ctx) {
  static const char *names[HX711_IRQ_COUNT] = {"hx711.sck", "hx711.dout"};
  memset(h, 0, sizeof(*h));
  h->avr = avr;
  h->sample = sample;
  h->ctx = ctx;
  h->irq = avr_alloc_irq(&avr->irq_pool, 0, HX711_IRQ_COUNT, names);
  avr_irq_register_notify(h->irq + HX711_IRQ_SCK, on_sck, h);
}

void hx711_start(hx711_t *h) {
  /* Re-drive DOUT even if unchanged (an MCU reset clears the pin latch) and restart the clock. */
  h->irq[HX711_IRQ_DOUT].value = 0;
  set_dout(h, 1);
  h->pulses = 0;
  avr_cycle_timer_cancel(h->avr, on_conversion, h);
  avr_cycle_timer_register_usec(h->avr, HX711_PERIOD_US, on_conversion, h);
}
