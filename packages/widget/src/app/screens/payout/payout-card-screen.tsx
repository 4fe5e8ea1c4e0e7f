import { Screen, useEmbedState } from '../../ui.tsx';

/** Placeholder while this step is being written: shows the step's name only. */
export default function PendingScreen() {
  const state = useEmbedState();
  return (
    <Screen title={state.next_step} step={state.next_step}>
      <p>{state.next_step}</p>
    </Screen>
  );
}
