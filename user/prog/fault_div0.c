/* fault_div0: divides by zero (div with a zero divisor in a register,
 * in asm so the compiler can neither fold nor drop it): #DE, and the
 * kernel must kill it. exit(99) after it shows a fault that did not come. */
#include <ulib.h>

int main(void)
{
	u32 quotient;

	print("fault_div0: dividing by zero\n");
	__asm__ volatile("xor %%edx, %%edx\n\tdivl %1"
			 : "=a"(quotient) : "r"(0u), "a"(1u) : "rdx");
	sys_exit(99);
}
