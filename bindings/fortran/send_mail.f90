! Sends a mail through the co-process with the coproc module.
!
!   gfortran coproc.f90 send_mail.f90 -lcoproc -o send_mail
!   ./send_mail FROM TO
!
! Exit code 0 when the mail was queued, 1 with the reason otherwise.
program send_mail
  use, intrinsic :: iso_c_binding, only: c_ptr
  use coproc
  implicit none
  type(c_ptr) :: client
  character(len=256) :: from, to
  character(len=64) :: id
  integer :: status

  if (command_argument_count() /= 2) then
    write (*, '(a)') 'usage: send_mail FROM TO'
    stop 2
  end if
  call get_command_argument(1, from)
  call get_command_argument(2, to)

  status = coproc_client_new(client)
  if (status /= COPROC_OK) then
    write (*, '(a)') 'coproc_client_new failed: ' // trim(coproc_status_name(status))
    stop 1
  end if
  status = coproc_set_option(client, COPROC_OPT_CLIENT_NAME, text='fortran')

  status = coproc_send_mail(client, from, to, 'Results of run 17', &
                            'The simulation finished; results are on the share.', id)
  if (status /= COPROC_OK) then
    write (*, '(a, i0, a)') 'coproc failed (status ', status, '): ' // &
        trim(coproc_error_text(client))
    call coproc_client_close(client)
    stop 1
  end if
  write (*, '(a)') 'mail queued: ' // trim(id)
  call coproc_client_close(client)
end program send_mail
