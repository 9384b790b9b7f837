/* External drives on AVR port pins, shared by the parts on one port. simavr 1.6 re-raises an
 * input pin with its PORT bit set (pull-up) to 1 on every write to the port; an "external" drive
 * takes precedence, but simavr keeps one mask/value per port, so parts on the same port (the
 * HX711's DOUT and the patient button, both on port D) must set it through here, not directly. */
#ifndef PRESSHOLD_PORT_DRIVE_H
#define PRESSHOLD_PORT_DRIVE_H

#include <simavr/sim_avr.h>

/* Drive pin `bit` of `port` to `level` (driven = 1), or stop driving it (driven = 0: the MCU's
 * pull-up, if on, then decides). Does not raise the pin IRQ: the caller does, its own way. */
void port_drive(avr_t *avr, char port, int bit, int driven, int level);

#endif
