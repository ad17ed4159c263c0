/*
 * table-offsets.c - struct user_program's layout in numbers, for the
 * table gen-table.sh writes in assembly: user/user.mk turns this file
 * into $(BUILD)/user/user-programs-offsets.h (as asm-offsets does).
 */
#include <pvops/asm-offsets.h>
#include <user_programs.h>

void user_table_offsets(void);
void user_table_offsets(void)
{
	PV_ASM_OFFSET(UP_NAME, offsetof(struct user_program, name));
	PV_ASM_OFFSET(UP_IMAGE, offsetof(struct user_program, image));
	PV_ASM_OFFSET(UP_SIZE, offsetof(struct user_program, size));
	PV_ASM_OFFSET(UP_TEXT_SIZE, offsetof(struct user_program, text_size));
	PV_ASM_OFFSET(UP_SIZEOF, sizeof(struct user_program));
	PV_ASM_OFFSET(UP_ALIGN, _Alignof(struct user_program));
	PV_ASM_OFFSET(UP_COUNT_SIZE, sizeof(user_programs_count));
}
