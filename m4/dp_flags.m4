dnl dp_flags.m4: append the compiler and linker flags that the compiler accepts
dnl DP_ADD_CFLAGS(VARIABLE, FLAGS)
AC_DEFUN([DP_ADD_CFLAGS], [
    for dp_flag in $2; do
        AC_MSG_CHECKING([whether $CC accepts $dp_flag])
        dp_save_CFLAGS=$CFLAGS
        CFLAGS="$CFLAGS -Werror $dp_flag"
        AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
            [AC_MSG_RESULT([yes]); $1="$$1 $dp_flag"],
            [AC_MSG_RESULT([no])])
        CFLAGS=$dp_save_CFLAGS
    done
])
dnl DP_ADD_LDFLAGS(VARIABLE, FLAGS)
AC_DEFUN([DP_ADD_LDFLAGS], [
    for dp_flag in $2; do
        AC_MSG_CHECKING([whether the linker accepts $dp_flag])
        dp_save_LDFLAGS=$LDFLAGS
        LDFLAGS="$LDFLAGS $dp_flag"
        AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])],
            [AC_MSG_RESULT([yes]); $1="$$1 $dp_flag"],
            [AC_MSG_RESULT([no])])
        LDFLAGS=$dp_save_LDFLAGS
    done
])
