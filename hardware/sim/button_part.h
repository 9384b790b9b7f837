/* A patient push button for simavr: one contact from an AVR pin to GND (the firmware enables the
 * pin's pull-up), with the contact bounce a real button has, so the firmware's debouncer is
 * exercised as on the bench. */
#ifndef PRESSHOLD_BUTTON_PART_H
#define PRESSHOLD_BUTTON_PART_H

#include <simavr/sim_avr.h>
#include <simavr/sim_irq.h>

#define BUTTON_MAX_STEPS 16

typedef struct {
  avr_t *avr;
  avr_irq_t *pin;   /* the port pin's IRQ: 0 = pulled to GND (pressed), 1 = released */
  char port;
  int bit;
  int level;        /* what the pin is driven to now */
  struct {
    avr_cycle_count_t at;
    int level;
  } plan[BUTTON_MAX_STEPS];
  int n, next;
  unsigned presses; /* "down" commands played, for the summary line */
} button_t;

void button_init(avr_t *avr, button_t *b, char port, int pin);
/* Re-drive the pin after an MCU reset (the reset clears the port's state, not the wiring). */
void button_mcu_reset(button_t *b);
/* "down": closes with ~1.5 ms of bounce; "up": opens with ~0.8 ms of bounce; "glitch": a 5 ms
 * spike, shorter than any deliberate press (the debouncer must ignore it). 0 if unknown. */
int button_command(button_t *b, const char *what);

#endif
