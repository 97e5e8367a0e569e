/* SPDX-License-Identifier: MIT */
/*
 * co-switch-x86_64.S - coroutine context switch for x86-64 (System V).
 *
 * A saved context is a stack pointer.  Below it, from low to high:
 *
 *	 0: MXCSR (4 bytes), x87 control word (2 bytes), padding
 *	 8: r15  16: r14  24: r13  32: r12  40: rbx  48: rbp
 *	56: return address
 *
 * Only callee-saved state is kept: cr_co_switch is an ordinary call, so
 * the compiler has already saved everything else.  MXCSR and the x87
 * control word are callee-saved by the ABI (rounding modes, exception
 * masks), so a coroutine that changes them does not leak the change.
 */

	.text

/* void cr_co_switch(void **save, void *to) */
	.globl	cr_co_switch
	.hidden	cr_co_switch
	.type	cr_co_switch, @function
	.p2align 4
cr_co_switch:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	movq	%rsp, (%rdi)

	movq	%rsi, %rsp
	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.size	cr_co_switch, .-cr_co_switch

/*
 * void *cr_co_prepare(void *top, void (*entry)(void *), void *arg)
 *
 * Build the frame cr_co_switch expects, returning into cr_co_entry with
 * r12 = arg and r13 = entry.  The address just above the return slot is
 * 16-byte aligned, so cr_co_entry starts with rsp % 16 == 0 and its call
 * gives entry the rsp % 16 == 8 the ABI promises at function entry.  The
 * creator's MXCSR and x87 control word are inherited.
 */
	.globl	cr_co_prepare
	.hidden	cr_co_prepare
	.type	cr_co_prepare, @function
	.p2align 4
cr_co_prepare:
	andq	$-16, %rdi
	leaq	-16(%rdi), %rax		/* rsp once cr_co_entry runs */
	leaq	cr_co_entry(%rip), %rcx
	movq	%rcx, -8(%rax)		/* return address */
	movq	$0, -16(%rax)		/* rbp: ends frame-pointer chains */
	movq	$0, -24(%rax)		/* rbx */
	movq	%rdx, -32(%rax)		/* r12 = arg */
	movq	%rsi, -40(%rax)		/* r13 = entry */
	movq	$0, -48(%rax)		/* r14 */
	movq	$0, -56(%rax)		/* r15 */
	movq	$0, -64(%rax)
	stmxcsr	-64(%rax)
	fnstcw	-60(%rax)
	subq	$64, %rax
	ret
	.size	cr_co_prepare, .-cr_co_prepare

/*
 * First code run on a new stack: calls entry(arg) through r13, so this
 * file names no C function.  entry never returns (it switches back to the
 * resumer when the coroutine ends); ud2 traps if it ever did, rather than
 * running off the top of the stack.  The CFI marks this as the outermost
 * frame for debuggers and unwinders.
 */
	.type	cr_co_entry, @function
	.p2align 4
cr_co_entry:
	.cfi_startproc
	.cfi_undefined rip
	xorl	%ebp, %ebp
	movq	%r12, %rdi
	call	*%r13
	ud2
	.cfi_endproc
	.size	cr_co_entry, .-cr_co_entry

	.section .note.GNU-stack,"",@progbits
