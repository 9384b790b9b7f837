#include "hx711_part.h"
#include "port_drive.h"

#include <simavr/avr_ioport.h>
#include <simavr/sim_cycle_timers.h>
#include <simavr/sim_time.h>
#include <stdio.h>
#include <string.h>

#define HX711_POWER_DOWN_US 60  /* PD_SCK high longer than this powers the chip down */
#define HX711_FLOAT_US 1000     /* how often a floating DOUT wanders */

static double now_s(hx711_t *h) { return (double)h->avr->cycle / (double)h->avr->frequency; }

/* Drive DOUT (push-pull, as the HX711 does). simavr 1.6 re-raises an input pin with its PORT bit
 * set (pull-up) to 1 on every write to the port, which would override our level each time the
 * firmware toggles PD_SCK; an "external" drive on the port takes precedence over that. */
static void drive_dout(hx711_t *h, int level) {
  port_drive(h->avr, h->dout_port, h->dout_bit, 1, level); /* shared with the button's drive */
  avr_raise_irq(h->irq + HX711_IRQ_DOUT, level);
}

/* Nothing drives DOUT (cable pulled): the MCU's pull-up, if on, decides; else the line floats. */
static void release_dout(hx711_t *h, int level) {
  port_drive(h->avr, h->dout_port, h->dout_bit, 0, 0);
  avr_raise_irq(h->irq + HX711_IRQ_DOUT, level);
}

static double cycles_to_us(hx711_t *h, avr_cycle_count_t c) {
  return (double)c * 1e6 / (double)h->avr->frequency;
}

static void error(hx711_t *h, const char *what) {
  h->protocol_errors++;
  if (h->on_error) h->on_error(h->ctx, now_s(h), what);
}

/* A disconnected DOUT wire: pulled high if the MCU enabled its pull-up, else it floats. */
static int unplugged_level(hx711_t *h) {
  avr_ioport_state_t st;
  if (avr_ioctl(h->avr, AVR_IOCTL_IOPORT_GETSTATE(h->dout_port), &st) == 0 &&
      !(st.ddr & (1u << h->dout_bit)) && (st.port & (1u << h->dout_bit)))
    return 1;
  h->noise ^= h->noise << 13;
  h->noise ^= h->noise >> 17;
  h->noise ^= h->noise << 5;
  return (int)(h->noise & 1u);
}

static int32_t clamp24(double v) {
  if (v > 8388607.0) return 8388607; /* the ADC saturates, as the real one does */
  if (v < -8388608.0) return -8388608;
  return (int32_t)v;
}

static avr_cycle_count_t on_conversion(avr_t *avr, avr_cycle_count_t when, void *param) {
  hx711_t *h = (hx711_t *)param;
  (void)avr;
  if (h->pulses != 0) {
    h->reads++;
    if (h->pulses >= 25 && h->pulses <= 27) {
      h->gain = h->pulses == 25 ? 128 : h->pulses == 26 ? 32 : 64;
    } else {
      char what[96];
      snprintf(what, sizeof what, "%d PD_SCK pulses since the last conversion (25-27 expected)",
               h->pulses);
      error(h, what);
    }
  }
  h->pulses = 0;
  /* Channel B (gain 32) has no load cell on it here: it reads zero. */
  int32_t a = h->sample(h->ctx, now_s(h));
  h->data = h->gain == 32 ? 0 : clamp24(h->gain == 128 ? (double)a : (double)a / 2.0);
  h->ready = 1;
  h->conversions++;
  drive_dout(h, 0);
  h->next_conversion = when + avr_usec_to_cycles(h->avr, h->period_us);
  return h->next_conversion;
}

static avr_cycle_count_t on_float(avr_t *avr, avr_cycle_count_t when, void *param) {
  hx711_t *h = (hx711_t *)param;
  release_dout(h, unplugged_level(h));
  return when + avr_usec_to_cycles(avr, HX711_FLOAT_US);
}

/* Power-up or wake-up: defaults and the settling time before the first conversion. */
static void power_up(hx711_t *h) {
  h->powered_down = 0;
  h->gain = 128;
  h->pulses = 0;
  h->ready = 0;
  drive_dout(h, 1);
  avr_cycle_timer_cancel(h->avr, on_conversion, h);
  h->next_conversion = h->avr->cycle + avr_usec_to_cycles(h->avr, h->settle_us);
  avr_cycle_timer_register_usec(h->avr, h->settle_us, on_conversion, h);
}

static avr_cycle_count_t on_power_down(avr_t *avr, avr_cycle_count_t when, void *param) {
  hx711_t *h = (hx711_t *)param;
  (void)avr;
  (void)when;
  if (h->sck_high && !h->unplugged && !h->powered_down) {
    if (h->ready && h->pulses >= 1) {
      char what[96];
      snprintf(what, sizeof what, "PD_SCK held high > 60 us at pulse %d: powered down mid-read",
               h->pulses);
      error(h, what);
    }
    h->powered_down = 1;
    h->power_downs++;
    h->ready = 0;
    avr_cycle_timer_cancel(h->avr, on_conversion, h);
    drive_dout(h, 1);
  }
  return 0;
}

static void on_sck(struct avr_irq_t *irq, uint32_t value, void *param) {
  hx711_t *h = (hx711_t *)param;
  (void)irq;
  if (value && !h->sck_high) {
    h->sck_high = 1;
    h->sck_rise = h->avr->cycle;
    if (h->unplugged) {
      release_dout(h, unplugged_level(h));
      return;
    }
    avr_cycle_timer_register_usec(h->avr, HX711_POWER_DOWN_US + 1, on_power_down, h);
    if (h->powered_down) return;
    h->pulses++;
    if (h->pulses == 1 && !h->ready) return; /* a read of nothing, or a power-down request */
    if (h->pulses == 1) h->read_start = h->avr->cycle;
    if (h->avr->sreg[S_I]) h->edges_with_interrupts_on++;
    if (h->pulses <= 24) {
      drive_dout(h, (int)(((uint32_t)h->data >> (24 - h->pulses)) & 1u));
    } else {
      h->ready = 0;
      drive_dout(h, 1); /* gain pulses: DOUT high until the next conversion */
    }
  } else if (!value && h->sck_high) {
    h->sck_high = 0;
    if (h->unplugged) return;
    if (h->pulses >= 1 && h->pulses <= 27 && h->read_start) {
      double high_us = cycles_to_us(h, h->avr->cycle - h->sck_rise);
      double read_us = cycles_to_us(h, h->avr->cycle - h->read_start);
      if (high_us > h->longest_sck_high_us) h->longest_sck_high_us = high_us;
      if (read_us > h->longest_read_us) h->longest_read_us = read_us;
    }
    avr_cycle_timer_cancel(h->avr, on_power_down, h);
    if (h->powered_down) {
      power_up(h); /* PD_SCK low wakes and resets the chip */
    } else if (h->pulses == 1 && !h->ready) {
      h->pulses = 0;
      error(h, "PD_SCK clocked while DOUT was high (no conversion ready)");
    }
  }
}

void hx711_init(avr_t *avr, hx711_t *h, char dout_port, uint8_t dout_bit, hx711_sample_fn sample,
                hx711_error_fn on_error, void *ctx) {
  static const char *names[HX711_IRQ_COUNT] = {"hx711.sck", "hx711.dout"};
  memset(h, 0, sizeof(*h));
  h->avr = avr;
  h->dout_port = dout_port;
  h->dout_bit = dout_bit;
  h->sample = sample;
  h->on_error = on_error;
  h->ctx = ctx;
  h->noise = 0x9e3779b9u;
  hx711_set_rate_pin(h, 1);
  h->irq = avr_alloc_irq(&avr->irq_pool, 0, HX711_IRQ_COUNT, names);
  avr_irq_register_notify(h->irq + HX711_IRQ_SCK, on_sck, h);
}

void hx711_set_rate_pin(hx711_t *h, int high) {
  h->period_us = high ? 12500 : 100000; /* 80 or 10 SPS */
  h->settle_us = 4 * h->period_us;     /* datasheet: 50 ms or 400 ms */
}

void hx711_start(hx711_t *h) {
  h->irq[HX711_IRQ_DOUT].value = 0; /* force the first raise through */
  power_up(h);
}

void hx711_mcu_reset(hx711_t *h) {
  /* avr_reset() zeroes PIND but not the (change-filtered) pin IRQ values, so re-raising the
   * same level would not reach PIND: invalidate both ends first, then drive DOUT again. */
  uint32_t level = h->irq[HX711_IRQ_DOUT].value;
  h->irq[HX711_IRQ_DOUT].value = !level;
  avr_io_getirq(h->avr, AVR_IOCTL_IOPORT_GETIRQ(h->dout_port), h->dout_bit)->value = !level;
  if (h->unplugged) release_dout(h, unplugged_level(h));
  else drive_dout(h, (int)level);
  if (h->unplugged) {
    avr_cycle_timer_register_usec(h->avr, HX711_FLOAT_US, on_float, h);
  } else if (h->powered_down) {
    power_up(h); /* the MCU's pins are inputs after reset: PD_SCK falls, which wakes the chip */
  } else {
    avr_cycle_count_t now = h->avr->cycle;
    avr_cycle_timer_register(h->avr, h->next_conversion > now ? h->next_conversion - now : 1,
                             on_conversion, h);
  }
  h->sck_high = 0;
}

void hx711_set_unplugged(hx711_t *h, int unplugged) {
  if (unplugged == h->unplugged) return;
  h->unplugged = unplugged;
  avr_cycle_timer_cancel(h->avr, on_power_down, h);
  if (unplugged) {
    avr_cycle_timer_cancel(h->avr, on_conversion, h);
    h->ready = 0;
    h->pulses = 0;
    release_dout(h, unplugged_level(h));
    avr_cycle_timer_register_usec(h->avr, HX711_FLOAT_US, on_float, h);
  } else {
    avr_cycle_timer_cancel(h->avr, on_float, h);
    h->powered_down = 0;
    power_up(h);
  }
}
