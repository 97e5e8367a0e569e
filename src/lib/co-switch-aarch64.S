/* SPDX-License-Identifier: MIT */
/*
 * co-switch-aarch64.S - coroutine context switch for AArch64 (AAPCS64).
 *
 * A saved context is a stack pointer.  Above it, 160 bytes:
 *
 *	  0: x19 x20   16: x21 x22   32: x23 x24   48: x25 x26
 *	 64: x27 x28   80: x29 x30   96: d8 d9    112: d10 d11
 *	128: d12 d13  144: d14 d15
 *
 * These are the callee-saved registers; x30 (the link register) is where
 * the switch returns to.  Only the low 64 bits of v8-v15 are callee-saved,
 * hence d8-d15.  FPCR is not switched: the ABI lets a callee leave it
 * changed only when documented, and writing it can serialise the core.
 */

	.text

/* void cr_co_switch(void **save, void *to) */
	.globl	cr_co_switch
	.hidden	cr_co_switch
	.type	cr_co_switch, %function
	.p2align 4
cr_co_switch:
	sub	sp, sp, #160
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mov	x9, sp
	str	x9, [x0]

	mov	sp, x1
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	add	sp, sp, #160
	ret
	.size	cr_co_switch, .-cr_co_switch

/*
 * void *cr_co_prepare(void *top, void (*entry)(void *), void *arg)
 *
 * Build the frame cr_co_switch expects: x30 = cr_co_entry, x19 = arg,
 * x20 = entry, the rest zero (x29 = 0 ends frame-record chains).  sp
 * after the switch is top aligned down to 16, as AAPCS64 requires at all
 * times.
 */
	.globl	cr_co_prepare
	.hidden	cr_co_prepare
	.type	cr_co_prepare, %function
	.p2align 4
cr_co_prepare:
	and	x0, x0, #~15
	sub	x0, x0, #160
	stp	x2, x1, [x0, #0]
	stp	xzr, xzr, [x0, #16]
	stp	xzr, xzr, [x0, #32]
	stp	xzr, xzr, [x0, #48]
	stp	xzr, xzr, [x0, #64]
	adr	x9, cr_co_entry
	stp	xzr, x9, [x0, #80]
	stp	xzr, xzr, [x0, #96]
	stp	xzr, xzr, [x0, #112]
	stp	xzr, xzr, [x0, #128]
	stp	xzr, xzr, [x0, #144]
	ret
	.size	cr_co_prepare, .-cr_co_prepare

/*
 * First code run on a new stack: calls entry(arg) through x20, so this
 * file names no C function.  entry never returns; brk traps if it ever
 * did, rather than returning through a zero link register.
 */
	.type	cr_co_entry, %function
	.p2align 4
cr_co_entry:
	.cfi_startproc
	.cfi_undefined x30
	mov	x0, x19
	blr	x20
	brk	#1
	.cfi_endproc
	.size	cr_co_entry, .-cr_co_entry

	.section .note.GNU-stack,"",%progbits
